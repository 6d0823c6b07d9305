package org.tiaoyu.qformer.lm.tokenizer;

/** Where padding goes in a batch, as HF's {@code tokenizer.padding_side}. */
public enum PaddingSide {
    /** Pad after the text (HF's default; encoders such as the Q-Former's BERT). */
    RIGHT,
    /** Pad before the text, so the last position is the last real token (decoder-only generation). */
    LEFT
}
