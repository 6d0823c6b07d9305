package org.tiaoyu.qformer.core.config;

import static org.tiaoyu.qformer.core.config.Checks.notNull;
import static org.tiaoyu.qformer.core.config.Checks.positive;
import static org.tiaoyu.qformer.core.config.Checks.probability;
import static org.tiaoyu.qformer.core.config.Checks.visionTransformer;

/**
 * A CLIP vision tower, mirroring HF's {@code CLIPVisionConfig} ({@code model_type} {@code clip_vision_model}):
 * the config of a {@code CLIPVisionModel} directory. It differs from {@link VisionConfig} in its pre-LayerNorm,
 * separate q/k/v projections and QuickGELU; the defaults are HF's ({@code openai/clip-vit-base-patch32}).
 *
 * @param hiddenSize        {@code hidden_size}
 * @param intermediateSize  {@code intermediate_size}
 * @param numHiddenLayers   {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}; divides {@code hiddenSize}
 * @param numChannels       {@code num_channels}
 * @param imageSize         {@code image_size}
 * @param patchSize         {@code patch_size}
 * @param layerNormEps      {@code layer_norm_eps}
 * @param hiddenAct         {@code hidden_act}, QuickGELU in OpenAI's checkpoints
 * @param attentionDropout  {@code attention_dropout}
 * @param projectionDim     {@code projection_dim} of {@code CLIPVisionModelWithProjection}'s visual projection
 */
public record ClipVisionConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numChannels,
        int imageSize,
        int patchSize,
        double layerNormEps,
        Activation hiddenAct,
        double attentionDropout,
        int projectionDim) implements ModelConfig {

    public ClipVisionConfig {
        visionTransformer(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, imageSize, patchSize,
                numChannels);
        positive("layer_norm_eps", layerNormEps);
        notNull("hidden_act", hiddenAct);
        probability("attention_dropout", attentionDropout);
        positive("projection_dim", projectionDim);
    }

    /** Width of one attention head, {@code hiddenSize / numAttentionHeads}. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Number of patch tokens, {@code (imageSize / patchSize)^2}; the sequence adds one class token. */
    public int numPatches() {
        int perSide = imageSize / patchSize;
        return perSide * perSide;
    }
}
