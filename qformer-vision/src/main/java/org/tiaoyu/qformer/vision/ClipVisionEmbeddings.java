package org.tiaoyu.qformer.vision;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.ClipVisionConfig;
import org.tiaoyu.qformer.core.nn.Embedding;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code CLIPVisionEmbeddings}: {@code [class_embedding; patch_embedding(pixels)] + position_embedding},
 * with {@code class_embedding} [D], an unbiased patch convolution and an {@code nn.Embedding}
 * {@code position_embedding.weight} [N+1, D] read in order (position ids 0..N).
 */
public final class ClipVisionEmbeddings extends Module {

    public final Tensor classEmbedding;
    public final PatchEmbedding patchEmbedding;
    public final Embedding positionEmbedding;

    public ClipVisionEmbeddings(ClipVisionConfig config, DataType type) {
        int d = config.hiddenSize();
        this.classEmbedding = parameter("class_embedding", Nd4j.zeros(type, d));
        this.patchEmbedding = child("patch_embedding",
                new PatchEmbedding(config.numChannels(), d, config.patchSize(), false, type));
        this.positionEmbedding = child("position_embedding", new Embedding(config.numPatches() + 1, d, type));
    }

    /** pixels [B, C, S, S] → [B, N+1, D]. */
    public Tensor forward(Tensor pixels) {
        long d = classEmbedding.size(0);
        return patchEmbedding.withClassAndPositions(classEmbedding.reshape(1, 1, d), patchEmbedding.forward(pixels),
                pixels, positionEmbedding.weight);
    }
}
