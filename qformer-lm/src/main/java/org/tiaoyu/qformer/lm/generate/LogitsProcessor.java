package org.tiaoyu.qformer.lm.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rewrites one row's next-token scores in place given the row's sequence so far, as HF's logits processors and
 * warpers do; {@link #forConfig} builds HF's chain for a {@link GenerationConfig}, in HF's order.
 */
@FunctionalInterface
public interface LogitsProcessor {

    /**
     * @param sequence the row's tokens so far (prefix included), {@code length} of them valid
     * @param scores   the row's scores over the vocabulary, rewritten in place
     */
    void process(long[] sequence, int length, float[] scores);

    /**
     * HF's chain: repetition penalty, minimum lengths (EOS suppressed); then, when sampling, temperature, top-k and
     * top-p. Settings at their neutral values add nothing.
     */
    static List<LogitsProcessor> forConfig(GenerationConfig c, int prefixLength, long eosTokenId) {
        List<LogitsProcessor> chain = new ArrayList<>();
        if (c.repetitionPenalty() != 1.0) {
            chain.add(repetitionPenalty((float) c.repetitionPenalty()));
        }
        if (c.minLength() > 0) {
            chain.add(suppressUntil(c.minLength(), eosTokenId));
        }
        if (c.minNewTokens() > 0) {
            chain.add(suppressUntil(prefixLength + c.minNewTokens(), eosTokenId));
        }
        if (c.doSample()) {
            if (c.temperature() != 1.0) {
                chain.add(temperature((float) c.temperature()));
            }
            if (c.topK() > 0) {
                chain.add(topK(c.topK()));
            }
            if (c.topP() < 1.0) {
                chain.add(topP(c.topP()));
            }
        }
        return chain;
    }

    /** HF {@code RepetitionPenaltyLogitsProcessor}: a token seen scores {@code s/p} if positive, {@code s·p} if not. */
    static LogitsProcessor repetitionPenalty(float penalty) {
        return (sequence, length, scores) -> {
            long[] seen = Arrays.stream(sequence, 0, length).distinct().toArray();
            for (long id : seen) {
                int t = (int) id;
                scores[t] = scores[t] < 0 ? scores[t] * penalty : scores[t] / penalty;
            }
        };
    }

    /** HF {@code MinLengthLogitsProcessor} / {@code MinNewTokensLengthLogitsProcessor}: no EOS while shorter. */
    static LogitsProcessor suppressUntil(int minLength, long eosTokenId) {
        return (sequence, length, scores) -> {
            if (length < minLength && eosTokenId >= 0) {
                scores[(int) eosTokenId] = Float.NEGATIVE_INFINITY;
            }
        };
    }

    /** HF {@code TemperatureLogitsWarper}. */
    static LogitsProcessor temperature(float t) {
        return (sequence, length, scores) -> {
            for (int i = 0; i < scores.length; i++) {
                scores[i] /= t;
            }
        };
    }

    /** HF {@code TopKLogitsWarper}: scores below the k-th largest become −∞ (ties with it are kept). */
    static LogitsProcessor topK(int k) {
        return (sequence, length, scores) -> {
            if (k >= scores.length) {
                return;
            }
            float[] sorted = scores.clone();
            Arrays.sort(sorted);
            float kth = sorted[sorted.length - k];
            for (int i = 0; i < scores.length; i++) {
                if (scores[i] < kth) {
                    scores[i] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    /**
     * HF {@code TopPLogitsWarper}: in ascending order of score, tokens whose cumulative probability is at most
     * {@code 1 − p} become −∞; the most likely token always stays.
     */
    static LogitsProcessor topP(double p) {
        return (sequence, length, scores) -> {
            int n = scores.length;
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));   // stable, ascending
            double[] probs = Sampling.softmax(scores);
            double cumulative = 0;
            for (int r = 0; r < n - 1; r++) {                                      // the last (largest) stays
                cumulative += probs[order[r]];
                if (cumulative <= 1 - p) {
                    scores[order[r]] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }
}
