package org.tiaoyu.qformer.core.config;

import static org.tiaoyu.qformer.core.config.Checks.divisible;
import static org.tiaoyu.qformer.core.config.Checks.notNull;
import static org.tiaoyu.qformer.core.config.Checks.positive;
import static org.tiaoyu.qformer.core.config.Checks.probability;
import static org.tiaoyu.qformer.core.config.Checks.tokenId;

/**
 * A decoder-only OPT language model, mirroring HF's {@code OPTConfig} ({@code model_type} {@code opt}).
 * Its LayerNorm epsilon is not in the config: OPT uses PyTorch's default 1e-5.
 *
 * @param vocabSize                  {@code vocab_size}
 * @param hiddenSize                 {@code hidden_size}
 * @param numHiddenLayers            {@code num_hidden_layers}
 * @param ffnDim                     {@code ffn_dim}
 * @param numAttentionHeads          {@code num_attention_heads}; divides {@code hiddenSize}
 * @param maxPositionEmbeddings      {@code max_position_embeddings} (the learned table has 2 more rows)
 * @param doLayerNormBefore          {@code do_layer_norm_before}: pre-LN layers (every OPT but 350m)
 * @param wordEmbedProjDim           {@code word_embed_proj_dim}, width of the token embeddings (defaults to
 *                                   {@code hidden_size}; if different, {@code project_in/out} map between them)
 * @param activationFunction         {@code activation_function}
 * @param dropout                    {@code dropout}
 * @param attentionDropout           {@code attention_dropout}
 * @param layerNormElementwiseAffine {@code layer_norm_elementwise_affine}
 * @param enableBias                 {@code enable_bias} of the linear layers
 * @param removeFinalLayerNorm       {@code _remove_final_layer_norm}
 * @param padTokenId                 {@code pad_token_id}
 * @param bosTokenId                 {@code bos_token_id}
 * @param eosTokenId                 {@code eos_token_id}
 * @param tieWordEmbeddings          {@code tie_word_embeddings}: {@code lm_head} shares {@code embed_tokens}
 */
public record OptConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int ffnDim,
        int numAttentionHeads,
        int maxPositionEmbeddings,
        boolean doLayerNormBefore,
        int wordEmbedProjDim,
        Activation activationFunction,
        double dropout,
        double attentionDropout,
        boolean layerNormElementwiseAffine,
        boolean enableBias,
        boolean removeFinalLayerNorm,
        int padTokenId,
        int bosTokenId,
        int eosTokenId,
        boolean tieWordEmbeddings) implements TextConfig {

    public OptConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("ffn_dim", ffnDim);
        positive("num_attention_heads", numAttentionHeads);
        divisible("hidden_size", hiddenSize, "num_attention_heads", numAttentionHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("word_embed_proj_dim", wordEmbedProjDim);
        notNull("activation_function", activationFunction);
        probability("dropout", dropout);
        probability("attention_dropout", attentionDropout);
        tokenId("pad_token_id", padTokenId, vocabSize);
        tokenId("bos_token_id", bosTokenId, vocabSize);
        tokenId("eos_token_id", eosTokenId, vocabSize);
    }

    /**
     * OPT-2.7B as {@code Salesforce/blip2-opt-2.7b} ships it: 2560 wide, 32 layers, 32 heads, FFN 10240, the
     * vocabulary grown to 50304 for the {@code <image>} token, and the newline (50118) as end of sequence.
     */
    public static OptConfig opt27b() {
        return new OptConfig(50304, 2560, 32, 10240, 32, 2048, true, 2560, Activation.RELU, 0.1, 0.0, true, true,
                false, 1, 2, 50118, true);
    }

    /**
     * {@code facebook/opt-125m} as the hub ships it: 768 wide, 12 layers, 12 heads, FFN 3072, ReLU, pre-LN,
     * vocabulary 50272, 2048 positions, {@code </s>} (2) as both beginning and end of sequence.
     */
    public static OptConfig opt125m() {
        return new OptConfig(50272, 768, 12, 3072, 12, 2048, true, 768, Activation.RELU, 0.1, 0.0, true, true,
                false, 1, 2, 2, true);
    }

    /** Width of one attention head, {@code hiddenSize / numAttentionHeads}. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** {@inheritDoc} For OPT, {@code word_embed_proj_dim}. */
    @Override
    public int inputEmbeddingSize() {
        return wordEmbedProjDim;
    }
}
