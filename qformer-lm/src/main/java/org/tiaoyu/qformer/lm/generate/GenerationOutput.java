package org.tiaoyu.qformer.lm.generate;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link Generator#generate} returns, in HF's layout.
 *
 * @param sequences       [rows · num_return_sequences][L]: the prefix followed by the new tokens, finished rows filled
 *                        as HF fills them (greedy and sampling: pad; beam search: pad, or EOS when pad is 0 or absent)
 * @param sequencesScores beam search: each returned sequence's summed log-probability over its length to the power
 *                        of {@code length_penalty} (HF's {@code sequences_scores}); null otherwise
 * @param stepLogits      greedy and sampling: the raw logits [rows, V] of every step (HF's {@code logits}); empty for
 *                        beam search
 */
public record GenerationOutput(long[][] sequences, double[] sequencesScores, List<INDArray> stepLogits) {}
