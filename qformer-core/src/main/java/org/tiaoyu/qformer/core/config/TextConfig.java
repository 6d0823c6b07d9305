package org.tiaoyu.qformer.core.config;

/**
 * The frozen language model of a BLIP-2 checkpoint ({@code text_config}); HF builds it with
 * {@code CONFIG_MAPPING[text_config["model_type"]]}, defaulting to OPT. We support the two families the
 * Salesforce checkpoints use.
 */
public sealed interface TextConfig permits OptConfig, T5Config {

    /** {@code vocab_size}, rows of the token embedding. */
    int vocabSize();

    /** Width of the token embeddings the projected query outputs must match (OPT {@code word_embed_proj_dim},
     *  T5 {@code d_model}). */
    int inputEmbeddingSize();

    /** {@code pad_token_id}. */
    int padTokenId();

    /** {@code eos_token_id}. */
    int eosTokenId();
}
