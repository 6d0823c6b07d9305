package org.tiaoyu.qformer.core.config;

import static org.tiaoyu.qformer.core.config.Checks.divisible;
import static org.tiaoyu.qformer.core.config.Checks.notNull;
import static org.tiaoyu.qformer.core.config.Checks.positive;
import static org.tiaoyu.qformer.core.config.Checks.probability;
import static org.tiaoyu.qformer.core.config.Checks.tokenId;

/**
 * The Q-Former, a BERT encoder with cross-attention to the image, mirroring HF's {@code Blip2QFormerConfig}
 * ({@code qformer_config}, {@code model_type} {@code blip_2_qformer}). Its position embeddings are always
 * absolute (HF 5.x dropped {@code position_embedding_type}; the reader rejects any other value).
 *
 * @param vocabSize                 {@code vocab_size} of the text embeddings (30522 for BERT, more with [DEC])
 * @param hiddenSize                {@code hidden_size}
 * @param numHiddenLayers           {@code num_hidden_layers}
 * @param numAttentionHeads         {@code num_attention_heads}; divides {@code hiddenSize}
 * @param intermediateSize          {@code intermediate_size}
 * @param hiddenAct                 {@code hidden_act}
 * @param hiddenDropoutProb         {@code hidden_dropout_prob}
 * @param attentionProbsDropoutProb {@code attention_probs_dropout_prob}
 * @param maxPositionEmbeddings     {@code max_position_embeddings}, the longest text
 * @param initializerRange          {@code initializer_range}, std of the normal init
 * @param layerNormEps              {@code layer_norm_eps}
 * @param padTokenId                {@code pad_token_id}
 * @param crossAttentionFrequency   {@code cross_attention_frequency}: layer i cross-attends when
 *                                  {@code i % crossAttentionFrequency == 0}
 * @param encoderHiddenSize         {@code encoder_hidden_size}, width of the image features; inside a
 *                                  {@link Blip2Config} always the vision width
 * @param useQformerTextInput       {@code use_qformer_text_input}: whether the model has text embeddings
 *                                  (true for {@code Blip2ForImageTextRetrieval} and stage-1 checkpoints)
 */
public record QFormerConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        Activation hiddenAct,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        int maxPositionEmbeddings,
        double initializerRange,
        double layerNormEps,
        int padTokenId,
        int crossAttentionFrequency,
        int encoderHiddenSize,
        boolean useQformerTextInput) {

    public QFormerConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        divisible("hidden_size", hiddenSize, "num_attention_heads", numAttentionHeads);
        positive("intermediate_size", intermediateSize);
        notNull("hidden_act", hiddenAct);
        probability("hidden_dropout_prob", hiddenDropoutProb);
        probability("attention_probs_dropout_prob", attentionProbsDropoutProb);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("initializer_range", initializerRange);
        positive("layer_norm_eps", layerNormEps);
        tokenId("pad_token_id", padTokenId, vocabSize);
        positive("cross_attention_frequency", crossAttentionFrequency);
        positive("encoder_hidden_size", encoderHiddenSize);
    }

    /**
     * BERT-base with cross-attention every second layer to EVA ViT-g features: the Q-Former of every Salesforce
     * BLIP-2 checkpoint (and HF's defaults): 30522 / 768 / 12 layers / 12 heads / 3072, dropout 0.1, eps 1e-12.
     */
    public static QFormerConfig bertBase() {
        return new QFormerConfig(30522, 768, 12, 12, 3072, Activation.GELU, 0.1, 0.1, 512, 0.02, 1e-12, 0, 2,
                1408, false);
    }

    /**
     * A BERT-style Q-Former of the given sizes that reads text (for stage-1 training from scratch, tests and
     * benchmarks); the rest as {@link #bertBase()}: exact GELU, dropout 0.1, 512 positions, eps 1e-12, pad 0.
     */
    public static QFormerConfig bert(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
            int intermediateSize, int crossAttentionFrequency, int encoderHiddenSize) {
        return new QFormerConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
                Activation.GELU, 0.1, 0.1, 512, 0.02, 1e-12, 0, crossAttentionFrequency, encoderHiddenSize, true);
    }

    /** Width of one attention head, {@code hiddenSize / numAttentionHeads}. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Whether layer {@code layerIndex} (from 0) has cross-attention to the image, as HF decides it. */
    public boolean hasCrossAttention(int layerIndex) {
        return layerIndex % crossAttentionFrequency == 0;
    }

    /** This config with another {@code encoderHiddenSize}. */
    public QFormerConfig withEncoderHiddenSize(int encoderHiddenSize) {
        return new QFormerConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
                hiddenAct, hiddenDropoutProb, attentionProbsDropoutProb, maxPositionEmbeddings, initializerRange,
                layerNormEps, padTokenId, crossAttentionFrequency, encoderHiddenSize, useQformerTextInput);
    }

    /** This config with {@code hidden_dropout_prob} and {@code attention_probs_dropout_prob} both {@code p}. */
    public QFormerConfig withDropout(double p) {
        return new QFormerConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
                hiddenAct, p, p, maxPositionEmbeddings, initializerRange, layerNormEps, padTokenId,
                crossAttentionFrequency, encoderHiddenSize, useQformerTextInput);
    }
}
