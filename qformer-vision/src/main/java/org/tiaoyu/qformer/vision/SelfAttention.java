package org.tiaoyu.qformer.vision;

import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Attention;

/**
 * The {@code self_attn} block of a ViT encoder layer ({@link VisionAttention} for BLIP-2, {@link ClipAttention} for
 * CLIP): unmasked multi-head self-attention with its output projection, [B, T, D] → [B, T, D].
 */
public interface SelfAttention {

    Tensor forward(Tensor hidden);

    /**
     * Softmax(q·kᵀ/√d)·v per head, without a mask; the two towers differ only in how they project q, k and v.
     *
     * @param q     [B, T, D], and k and v likewise (views are fine)
     * @param heads number of heads H; d = D / H
     * @return the heads' contexts joined again, [B, T, D]
     */
    static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, int heads) {
        double scale = 1.0 / Math.sqrt((double) q.size(2) / heads);
        return Attention.mergeHeads(Attention.scaledDotProduct(Attention.splitHeads(q, heads),
                Attention.splitHeads(k, heads), Attention.splitHeads(v, heads), scale, null, null)); // [B, T, D]
    }
}
