package org.tiaoyu.qformer.lm.tokenizer;

import java.util.OptionalLong;

/**
 * The ids of a tokenizer's named special tokens, as HF's {@code tokenizer.bos_token_id}, {@code eos_token_id}, ...;
 * a token the tokenizer does not name is empty. BERT names cls/sep/mask; GPT-2 style tokenizers do not.
 */
public record SpecialTokenIds(
        OptionalLong bos,
        OptionalLong eos,
        OptionalLong pad,
        OptionalLong unk,
        OptionalLong cls,
        OptionalLong sep,
        OptionalLong mask) {
}
