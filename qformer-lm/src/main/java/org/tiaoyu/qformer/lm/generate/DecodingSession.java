package org.tiaoyu.qformer.lm.generate;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A language model primed with its prompts and holding its KV cache: what every decoding strategy drives. Rows are
 * the batch's sequences; beam search widens and reorders them with {@link #select}.
 *
 * <p>Memory contract ({@link Generator}): {@link #prefill} runs in the caller's arena, which stays open for the
 * whole generation; {@link #select} runs outside every arena; {@link #step} runs in an arena rewound at every step,
 * so whatever a step hands on to the next (a grown mask) it keeps in Java arrays or outside arenas
 * ({@link org.tiaoyu.qformer.core.nn.KeyValueCache} does). {@link #close} frees that memory at once.
 */
public interface DecodingSession extends AutoCloseable {

    /** The ids every row's output sequence starts with, [rows][P] (OPT: the prompt; T5: the decoder start token). */
    long[][] prefix();

    /** Runs the prompt; the raw logits [rows, V] of the first new token. Called once, first. */
    INDArray prefill();

    /** Appends one token per row; the raw logits [rows, V] of the next one. */
    INDArray step(long[] tokens);

    /** Keeps the rows {@code rows} of the cache in that order, repeats allowed (the row count may change). */
    void select(long[] rows);

    /** The end-of-sequence token. */
    long eosTokenId();

    /** The token finished rows are filled with, or -1 when the model has none. */
    long padTokenId();

    /**
     * Refuses to add {@code newTokens} tokens to the longest row when the model's positions cannot hold them.
     *
     * @throws org.tiaoyu.qformer.core.BadInputException naming the prompt length, the request and the limit
     */
    void requireRoom(int newTokens);

    /** The width of the logits. */
    int vocabSize();

    /** About how many bytes the cache holds for {@code rows} rows of {@code length} tokens (to check memory first). */
    long cacheBytes(long rows, int length);

    /** Frees the cache; the session cannot decode afterwards. */
    @Override
    void close();
}
