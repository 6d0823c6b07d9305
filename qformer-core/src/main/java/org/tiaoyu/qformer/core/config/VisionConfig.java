package org.tiaoyu.qformer.core.config;

import static org.tiaoyu.qformer.core.config.Checks.notNull;
import static org.tiaoyu.qformer.core.config.Checks.positive;
import static org.tiaoyu.qformer.core.config.Checks.probability;
import static org.tiaoyu.qformer.core.config.Checks.visionTransformer;

/**
 * The BLIP-2 vision encoder (EVA ViT-g layout), mirroring HF's {@code Blip2VisionConfig}
 * ({@code model_type} {@code blip_2_vision_model}): the {@code vision_config} of a BLIP-2 directory, or the whole
 * config of a {@code Blip2VisionModel} directory.
 *
 * @param hiddenSize        {@code hidden_size}, width D of every layer
 * @param intermediateSize  {@code intermediate_size}, width of the MLP
 * @param numHiddenLayers   {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}; divides {@code hiddenSize}
 * @param imageSize         {@code image_size}, the side S of the square input image
 * @param patchSize         {@code patch_size}, side and stride of the patch convolution
 * @param layerNormEps      {@code layer_norm_eps}
 * @param hiddenAct         {@code hidden_act}
 * @param qkvBias           {@code qkv_bias}: whether the fused qkv projection has a bias (its k part is zero)
 * @param attentionDropout  {@code attention_dropout}
 * @param numChannels       {@code num_channels} of the input image (HF hard-codes 3; old configs write it)
 */
public record VisionConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int imageSize,
        int patchSize,
        double layerNormEps,
        Activation hiddenAct,
        boolean qkvBias,
        double attentionDropout,
        int numChannels) implements ModelConfig {

    public VisionConfig {
        visionTransformer(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, imageSize, patchSize,
                numChannels);
        positive("layer_norm_eps", layerNormEps);
        notNull("hidden_act", hiddenAct);
        probability("attention_dropout", attentionDropout);
    }

    /**
     * EVA ViT-g/14 at 224 px, the frozen image encoder of every Salesforce BLIP-2 checkpoint (and HF's defaults):
     * 1408 wide, 39 layers, 16 heads, MLP 6144, eps 1e-6, exact GELU.
     */
    public static VisionConfig evaVitG() {
        return new VisionConfig(1408, 6144, 39, 16, 224, 14, 1e-6, Activation.GELU, true, 0.0, 3);
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
