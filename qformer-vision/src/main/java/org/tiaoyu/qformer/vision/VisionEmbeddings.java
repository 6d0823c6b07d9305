package org.tiaoyu.qformer.vision;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.VisionConfig;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code Blip2VisionEmbeddings}: {@code [class_embedding; patch_embedding(pixels)] + position_embedding},
 * with {@code class_embedding} [1, 1, D], a biased patch convolution and {@code position_embedding} [1, N+1, D]
 * (both plain parameters, not modules, as in HF). No LayerNorm follows.
 */
public final class VisionEmbeddings extends Module {

    public final Tensor classEmbedding;
    public final PatchEmbedding patchEmbedding;
    public final Tensor positionEmbedding;

    public VisionEmbeddings(VisionConfig config, DataType type) {
        int d = config.hiddenSize();
        this.classEmbedding = parameter("class_embedding", Nd4j.zeros(type, 1, 1, d));
        this.patchEmbedding = child("patch_embedding",
                new PatchEmbedding(config.numChannels(), d, config.patchSize(), true, type));
        this.positionEmbedding = parameter("position_embedding", Nd4j.zeros(type, 1, config.numPatches() + 1, d));
    }

    /** pixels [B, C, H, W] → [B, N+1, D]; another size than the model's gets resized position embeddings. */
    public Tensor forward(Tensor pixels) {
        return patchEmbedding.withClassAndPositions(classEmbedding, patchEmbedding.forward(pixels), pixels,
                positionEmbedding);
    }
}
