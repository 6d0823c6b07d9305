package org.tiaoyu.qformer.lm.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;

/**
 * HF's {@code generate} over a {@link DecodingSession}: greedy decoding and sampling here (one token per row per
 * step, KV cache throughout), beam search in {@link BeamSearch}. Runs without gradients.
 */
public final class Generator {

    private Generator() {}

    /** Decodes every row of {@code session} with {@code config}; see {@link GenerationOutput} for the layout. */
    public static GenerationOutput generate(DecodingSession session, GenerationConfig config) {
        int prefixLength = session.prefix()[0].length;
        if (config.maxLength(prefixLength) <= prefixLength) {
            throw new IllegalArgumentException("max_length " + config.maxLength() + " leaves no room after the "
                    + prefixLength + " tokens the sequences start with; set max_new_tokens instead");
        }
        try (var noGrad = Grad.off()) {
            return config.beamSearch() ? BeamSearch.run(session, config) : greedyOrSample(session, config);
        }
    }

    /**
     * HF's {@code _sample}: each step the processed scores give the next token (argmax, or a draw when sampling);
     * a row that has produced EOS gets pad from then on; decoding ends when every row has, or at the maximum length.
     */
    private static GenerationOutput greedyOrSample(DecodingSession session, GenerationConfig config) {
        long[][] prefix = session.prefix();
        int prefixLength = prefix[0].length;
        int maxLength = config.maxLength(prefixLength);
        long eos = session.eosTokenId();
        long pad = session.padTokenId() >= 0 ? session.padTokenId() : eos;       // HF falls back to EOS
        List<LogitsProcessor> processors = LogitsProcessor.forConfig(config, prefixLength, eos);
        SplittableRandom random = new SplittableRandom(config.seed());

        INDArray logits = session.prefill();
        int copies = config.numReturnSequences();
        if (copies > 1) {                                                         // HF: repeat_interleave the rows
            logits = repeatRows(session, logits, copies);
            prefix = repeatRows(prefix, copies);
        }
        int rows = prefix.length;
        long[][] sequences = new long[rows][maxLength];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(prefix[i], 0, sequences[i], 0, prefixLength);
        }
        boolean[] finished = new boolean[rows];
        List<INDArray> stepLogits = new ArrayList<>();
        int length = prefixLength;
        while (length < maxLength) {
            stepLogits.add(Arena.keep(logits));                                  // outlives the caller's arena
            float[][] scores = logits.toFloatMatrix();
            long[] next = new long[rows];
            boolean allFinished = true;
            for (int i = 0; i < rows; i++) {
                for (LogitsProcessor p : processors) {
                    p.process(sequences[i], length, scores[i]);
                }
                next[i] = finished[i] ? pad
                        : config.doSample() ? Sampling.sample(scores[i], random) : Sampling.argmax(scores[i]);
                sequences[i][length] = next[i];
                finished[i] |= next[i] == eos;
                allFinished &= finished[i];
            }
            length++;
            if (allFinished || length == maxLength) {
                break;
            }
            logits = session.step(next);
        }
        for (int i = 0; i < rows; i++) {
            sequences[i] = Arrays.copyOf(sequences[i], length);
        }
        return new GenerationOutput(sequences, null, stepLogits);
    }

    /** Every row {@code copies} times in a row, in the session and in {@code logits} (HF's repeat_interleave). */
    static INDArray repeatRows(DecodingSession session, INDArray logits, int copies) {
        long[] rows = new long[(int) logits.size(0) * copies];
        int[] pulled = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i / copies;
            pulled[i] = i / copies;
        }
        session.select(rows);
        return Nd4j.pullRows(logits, 1, pulled);
    }

    static long[][] repeatRows(long[][] rows, int copies) {
        long[][] out = new long[rows.length * copies][];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows[i / copies].clone();
        }
        return out;
    }
}
