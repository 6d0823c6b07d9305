package org.tiaoyu.qformer.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * The official VQA accuracy, as {@code VQAEval(vqa, vqaRes, n=2).evaluate()} of the VQA team's {@code vqaEval.py}
 * computes it under Python 3: each question scored by {@link VqaComparison}, then the mean over all questions, over
 * each answer type and over each question type, summed in annotation order as the official lists are.
 */
public final class VqaAccuracy {

    private VqaAccuracy() {
    }

    /**
     * Scores the predictions of the questions in these annotations.
     *
     * @param annotations the questions, in the order the means sum them (the annotation file's)
     * @param predictions question id → predicted answer, for exactly the annotated question ids, as
     *                    {@code loadRes} asserts
     * @throws IllegalArgumentException for no annotations, a question id annotated twice, or predictions whose
     *                                  question ids are not exactly the annotated ones
     */
    public static VqaResult evaluate(List<VqaAnnotation> annotations, Map<Long, String> predictions) {
        if (annotations.isEmpty()) {
            throw new IllegalArgumentException("no annotations");
        }
        Set<Long> annotated = new HashSet<>();
        for (VqaAnnotation a : annotations) {
            if (!annotated.add(a.questionId())) {
                throw new IllegalArgumentException("question_id " + a.questionId() + " is annotated twice");
            }
        }
        String mismatch = mismatch(annotations, predictions);
        if (mismatch != null) {
            throw new IllegalArgumentException(mismatch);
        }
        return score(annotations, predictions);
    }

    /**
     * Scores a result file as {@code VQA(annFile, quesFile)}, {@code loadRes(resFile, quesFile)} and
     * {@code evaluate()} do. The question file is read and checked, as the official loader loads it, but plays no
     * part in the scores: {@code loadRes} holds the predictions against the annotation file's question ids.
     *
     * @throws BadInputException naming the file, for anything {@link VqaFiles} refuses and for predictions whose
     *                           question ids are not exactly the annotated ones
     */
    public static VqaResult evaluate(Path annotationFile, Path questionFile, Path predictionFile) {
        List<VqaAnnotation> annotations = VqaFiles.readAnnotations(annotationFile);
        VqaFiles.readQuestions(questionFile);
        Map<Long, String> predictions = VqaFiles.readPredictions(predictionFile);
        String mismatch = mismatch(annotations, predictions);
        if (mismatch != null) {
            throw new BadInputException(predictionFile + ": " + mismatch + " (annotations: " + annotationFile + ")");
        }
        return score(annotations, predictions);
    }

    /**
     * What {@code loadRes}'s assertion that the predicted question ids equal the annotated ones would find, or
     * null when they do.
     */
    private static String mismatch(List<VqaAnnotation> annotations, Map<Long, String> predictions) {
        List<Long> missing = new ArrayList<>();
        Set<Long> annotated = new HashSet<>();
        for (VqaAnnotation a : annotations) {
            annotated.add(a.questionId());
            if (!predictions.containsKey(a.questionId())) {
                missing.add(a.questionId());
            }
        }
        List<Long> extra = predictions.keySet().stream().filter(id -> !annotated.contains(id)).toList();
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) {
            problems.add("no prediction for " + missing.size() + " of the " + annotations.size()
                    + " annotated questions (the first: question_id " + missing.get(0) + ")");
        }
        if (!extra.isEmpty()) {
            problems.add(extra.size() + " predictions for questions that are not annotated (the first: "
                    + "question_id " + extra.get(0) + ")");
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    private static VqaResult score(List<VqaAnnotation> annotations, Map<Long, String> predictions) {
        List<Double> all = new ArrayList<>();
        Map<String, List<Double>> byAnswerType = new LinkedHashMap<>();
        Map<String, List<Double>> byQuestionType = new LinkedHashMap<>();
        Map<Long, VqaPercent> perQuestion = new LinkedHashMap<>();
        for (VqaAnnotation a : annotations) {
            double accuracy = VqaComparison.of(a.answers(), predictions.get(a.questionId())).accuracy();
            all.add(accuracy);
            byAnswerType.computeIfAbsent(a.answerType(), t -> new ArrayList<>()).add(accuracy);
            byQuestionType.computeIfAbsent(a.questionType(), t -> new ArrayList<>()).add(accuracy);
            perQuestion.put(a.questionId(), VqaPercent.of(100 * accuracy));
        }
        return new VqaResult(mean(all), means(byAnswerType), means(byQuestionType), perQuestion);
    }

    private static Map<String, VqaPercent> means(Map<String, List<Double>> groups) {
        Map<String, VqaPercent> means = new LinkedHashMap<>();
        groups.forEach((key, accuracies) -> means.put(key, mean(accuracies)));
        return means;
    }

    /**
     * {@code 100*float(sum(accs))/len(accs)}, summed one by one in list order as {@code sum} does up to Python 3.11
     * (the fixtures' version; 3.12 made it compensated, which can change the last bit).
     */
    private static VqaPercent mean(List<Double> accuracies) {
        double sum = 0;
        for (double accuracy : accuracies) {
            sum += accuracy;
        }
        return VqaPercent.of(100 * sum / accuracies.size());
    }
}
