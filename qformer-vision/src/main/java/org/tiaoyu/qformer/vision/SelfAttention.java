package org.tiaoyu.qformer.vision;

import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

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
        long b = q.size(0);
        long t = q.size(1);
        long d = q.size(2);
        Tensor scores = Ops.matmul(splitHeads(q, heads), splitHeads(k, heads), false, true,
                1.0 / Math.sqrt((double) d / heads));                                // [B, H, T, T]
        Tensor context = Ops.matmul(scores.softmax(-1), splitHeads(v, heads), false, false, 1.0); // [B, H, T, d]
        return context.permute(0, 2, 1, 3).reshape(b, t, d);                         // [B, T, D]
    }

    /** [B, T, H·d] → a [B, H, T, d] view. */
    private static Tensor splitHeads(Tensor x, int heads) {
        return x.reshape(x.size(0), x.size(1), heads, x.size(2) / heads).permute(0, 2, 1, 3);
    }
}
