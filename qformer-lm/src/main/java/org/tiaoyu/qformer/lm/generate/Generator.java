package org.tiaoyu.qformer.lm.generate;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.MemoryBudget;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;

/**
 * HF's {@code generate} over a {@link DecodingSession}: greedy decoding and sampling here (one token per row per
 * step, KV cache throughout), beam search in {@link BeamSearch}. Runs without gradients.
 *
 * <p>Memory: the prompt runs in the caller's arena (or none); every later model call runs in the arena
 * {@code decode-step}, rewound at each step, and its logits leave it as Java arrays. A step therefore keeps nothing
 * of the steps before it but what the session keeps (its KV cache) and the running sequences, unless the config
 * asks for every step's logits ({@link GenerationConfig#outputLogits}).
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
        session.requireRoom(config.maxLength(prefixLength) - prefixLength);
        requireMemory(session, config);
        try (var noGrad = Grad.off()) {
            return config.beamSearch() ? BeamSearch.run(session, config) : greedyOrSample(session, config);
        } finally {
            MemoryBudget.collectOccasionally();          // a caller's loop over batches is a loop over these calls
        }
    }

    /**
     * Refuses, before any work, a call whose rows cannot fit: each step's scores are [rows, V] floats, once as Java
     * arrays (two alive while the next replaces them) and about three times in ND4J (the head's output, the step's
     * arena, the widened prompt logits), beside the cache at full length, counted twice (it grows by doubling, and
     * beam search reorders it into a copy).
     */
    private static void requireMemory(DecodingSession session, GenerationConfig config) {
        int prompts = session.prefix().length;
        int perPrompt = config.beamSearch() ? config.numBeams() : config.numReturnSequences();
        long rows = (long) prompts * perPrompt;
        int length = config.maxLength(session.prefix()[0].length);
        long scores = rows * session.vocabSize() * Float.BYTES;
        String work = "generating " + rows + " rows (" + prompts + (prompts == 1 ? " prompt × " : " prompts × ")
                + (config.beamSearch() ? "num_beams " : "num_return_sequences ") + perPrompt + ") of up to " + length
                + " tokens";
        MemoryBudget.require(work, 2 * scores, 3 * scores + 2 * session.cacheBytes(rows, length));
    }

    /**
     * The token HF fills finished rows with: greedy and sampling use pad (EOS when the model has none); beam search
     * uses {@code pad_token_id or eos_token_id}, so a pad of 0 counts as none.
     */
    public static long fillTokenId(GenerationConfig config, long eosTokenId, long padTokenId) {
        if (config.beamSearch()) {
            return padTokenId > 0 ? padTokenId : eosTokenId;
        }
        return padTokenId >= 0 ? padTokenId : eosTokenId;
    }

    /**
     * The prompt's next-token scores [rows · copies][V], each row repeated {@code copies} times in a row (HF's
     * repeat_interleave, done in the session too); the raw logits are added to {@code kept} when it is not null.
     */
    static float[][] prefill(DecodingSession session, int copies, List<INDArray> kept) {
        INDArray logits = session.prefill();
        if (copies > 1) {
            long[] rows = new long[(int) logits.size(0) * copies];
            Arrays.setAll(rows, i -> i / copies);
            runOutsideArenas(() -> session.select(rows));
            logits = Nd4j.pullRows(logits, 1, Arrays.stream(rows).mapToInt(r -> (int) r).toArray());
        }
        if (kept != null) {
            kept.add(Arena.keep(logits));
        }
        float[][] scores = new float[(int) logits.rows()][(int) logits.columns()];     // reused by every step
        copy(logits, scores);
        return scores;
    }

    private static void copy(INDArray logits, float[][] scores) {
        if (logits.rows() != scores.length || logits.columns() != scores[0].length) {
            throw new IllegalStateException("the session gave logits " + Arrays.toString(logits.shape()) + " for "
                    + scores.length + " rows");
        }
        FloatBuffer values = logits.castTo(DataType.FLOAT).dup('c').data().asNioFloat();
        for (float[] row : scores) {
            values.get(row);
        }
    }

    /**
     * Reorders the session's rows ({@link DecodingSession#select}), then appends {@code tokens}; the next scores are
     * written into {@code scores} [rows][V] (reused from step to step: a step makes no garbage of the vocabulary's
     * size). The call runs in the arena {@code decode-step}, rewound every step; the raw logits are added to
     * {@code kept} (copied out of the arena) when it is not null.
     */
    static void step(DecodingSession session, long[] select, long[] tokens, float[][] scores, List<INDArray> kept) {
        if (select != null) {
            runOutsideArenas(() -> session.select(select));
        }
        try (var step = Arena.open("decode-step")) {
            INDArray logits = session.step(tokens);
            if (kept != null) {
                kept.add(Arena.keep(logits));
            }
            copy(logits, scores);                                                  // its copies: in the arena
        }
    }

    /** What a session keeps across steps (its reordered cache) must outlive the arenas around the call. */
    private static void runOutsideArenas(Runnable work) {
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            work.run();
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
        long pad = fillTokenId(config, eos, session.padTokenId());
        List<LogitsProcessor> processors = LogitsProcessor.forConfig(config, prefixLength, eos);
        SplittableRandom random = new SplittableRandom(config.seed());
        List<INDArray> stepLogits = config.outputLogits() ? new ArrayList<>() : null;

        int copies = config.numReturnSequences();
        float[][] scores = prefill(session, copies, stepLogits);
        prefix = repeatRows(prefix, copies);
        int rows = prefix.length;
        long[][] sequences = new long[rows][maxLength];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(prefix[i], 0, sequences[i], 0, prefixLength);
        }
        boolean[] finished = new boolean[rows];
        int length = prefixLength;
        while (length < maxLength) {
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
            step(session, null, next, scores, stepLogits);
        }
        for (int i = 0; i < rows; i++) {
            sequences[i] = Arrays.copyOf(sequences[i], length);
        }
        return new GenerationOutput(sequences, null, stepLogits == null ? List.of() : stepLogits);
    }

    /** Every row {@code copies} times in a row (HF's repeat_interleave). */
    static long[][] repeatRows(long[][] rows, int copies) {
        long[][] out = new long[rows.length * copies][];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows[i / copies].clone();
        }
        return out;
    }
}
