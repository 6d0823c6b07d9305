/**
 * HF tokenizers read from a model directory's {@code tokenizer.json}: encoding with the post-processor's special
 * tokens, decoding, special-token ids and padded batches, through DJL's bindings to the Rust {@code tokenizers}
 * library that transformers itself uses.
 */
package org.tiaoyu.qformer.lm.tokenizer;
