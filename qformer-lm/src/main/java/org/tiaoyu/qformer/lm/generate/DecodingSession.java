package org.tiaoyu.qformer.lm.generate;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A language model primed with its prompts and holding its KV cache: what every decoding strategy drives. Rows are
 * the batch's sequences; beam search widens and reorders them with {@link #select}.
 */
public interface DecodingSession {

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
}
