package org.tiaoyu.qformer.lm.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.DoubleStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link Generator#generate} returns, in HF's layout.
 *
 * @param sequences       [rows · num_return_sequences][L]: the prefix followed by the new tokens, finished rows filled
 *                        as HF fills them (greedy and sampling: pad; beam search: pad, or EOS when pad is 0 or absent)
 * @param sequencesScores beam search: each returned sequence's summed log-probability over its length to the power
 *                        of {@code length_penalty} (HF's {@code sequences_scores}); null otherwise
 * @param stepLogits      greedy and sampling with {@link GenerationConfig#outputLogits}: the raw logits [rows, V] of
 *                        every step (HF's {@code logits}); empty otherwise
 */
public record GenerationOutput(long[][] sequences, double[] sequencesScores, List<INDArray> stepLogits) {

    /**
     * The outputs of consecutive batches as one call over all their rows would give them: the sequences filled to
     * the longest with {@code fillTokenId} (as {@link Generator} fills finished rows; see
     * {@link Generator#fillTokenId}), the scores one after another. Step logits do not survive the merge.
     *
     * @throws IllegalArgumentException when some parts have beam scores and others not, or a part has step logits
     */
    public static GenerationOutput concat(List<GenerationOutput> parts, long fillTokenId) {
        int length = parts.stream().flatMap(p -> Arrays.stream(p.sequences)).mapToInt(s -> s.length).max()
                .orElse(0);
        boolean scored = !parts.isEmpty() && parts.get(0).sequencesScores != null;
        List<long[]> sequences = new ArrayList<>();
        DoubleStream.Builder scores = DoubleStream.builder();
        for (GenerationOutput part : parts) {
            if ((part.sequencesScores != null) != scored || !part.stepLogits.isEmpty()) {
                throw new IllegalArgumentException("only outputs of the same decoding, without step logits, merge");
            }
            for (long[] s : part.sequences) {
                long[] filled = Arrays.copyOf(s, length);
                Arrays.fill(filled, s.length, length, fillTokenId);
                sequences.add(filled);
            }
            if (scored) {
                Arrays.stream(part.sequencesScores).forEach(scores::add);
            }
        }
        return new GenerationOutput(sequences.toArray(long[][]::new), scored ? scores.build().toArray() : null,
                List.of());
    }
}
