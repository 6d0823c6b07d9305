package org.tiaoyu.qformer.eval;

import java.util.HashSet;
import java.util.List;

/**
 * One question as {@code vqaEval.py}'s {@code evaluate} scores it: the strings it compares and the accuracy they
 * give.
 *
 * @param normalized whether the answers were {@linkplain VqaAnswerNormalizer#normalize normalised}: only when the
 *                   stripped human answers are not all identical (ten {@code yes} against {@code Yes} stays 0)
 * @param prediction the prediction as compared
 * @param answers    the human answers as compared, in annotation order
 */
public record VqaComparison(boolean normalized, String prediction, List<String> answers) {

    /** A human counts as fully agreeing with the prediction once this many of the others gave it. */
    private static final double AGREEING_HUMANS = 3;

    public VqaComparison {
        answers = List.copyOf(answers);
    }

    /**
     * The strings {@code evaluate} compares for these human answers and this prediction: all of them
     * {@linkplain VqaAnswerNormalizer#strip stripped}, then normalised unless the stripped answers are identical.
     *
     * @param answers the human answers (ten in VQA), at least one
     */
    public static VqaComparison of(List<String> answers, String prediction) {
        if (answers.isEmpty()) {
            throw new IllegalArgumentException("no human answers");
        }
        List<String> stripped = answers.stream().map(VqaAnswerNormalizer::strip).toList();
        String predicted = VqaAnswerNormalizer.strip(prediction);
        if (new HashSet<>(stripped).size() == 1) {
            return new VqaComparison(false, predicted, stripped);
        }
        return new VqaComparison(true, VqaAnswerNormalizer.normalize(predicted),
                stripped.stream().map(VqaAnswerNormalizer::normalize).toList());
    }

    /**
     * The official accuracy, from 0 to 1: for each human, {@code min(1, n / 3)} with {@code n} the number of the
     * other humans whose answer equals the prediction, averaged over the humans and summed in their order, as
     * {@code float(sum(gtAcc))/len(gtAcc)} does up to Python 3.11: the order shows in the last bit (two of ten
     * humans agreeing give 0.5999999999999999 when they answered last, 0.6 when first).
     */
    public double accuracy() {
        int matching = (int) answers.stream().filter(prediction::equals).count();
        double sum = 0;
        for (String answer : answers) {
            int othersMatching = answer.equals(prediction) ? matching - 1 : matching;
            sum += Math.min(1, othersMatching / AGREEING_HUMANS);
        }
        return sum / answers.size();
    }
}
