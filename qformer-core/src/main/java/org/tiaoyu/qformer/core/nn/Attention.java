package org.tiaoyu.qformer.core.nn;

import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * The multi-head attention arithmetic every block shares (Q-Former, ViT, CLIP, OPT, T5); the blocks differ only in
 * how they project queries, keys and values. Heads are split by views, and each product is one batched call.
 */
public final class Attention {

    private Attention() {}

    /** [B, T, H·d] → a [B, H, T, d] view. */
    public static Tensor splitHeads(Tensor x, int heads) {
        return x.reshape(x.size(0), x.size(1), heads, x.size(2) / heads).permute(0, 2, 1, 3);
    }

    /** [B, H, T, d] → [B, T, H·d]. */
    public static Tensor mergeHeads(Tensor x) {
        return x.permute(0, 2, 1, 3).reshape(x.size(0), x.size(2), x.size(1) * x.size(3));
    }

    /**
     * {@code softmax(scale·q·kᵀ + bias)·v} per head, with dropout on the probabilities in training mode.
     *
     * @param q       [B, H, T, d]; {@code k} and {@code v} [B, H, S, d]
     * @param bias    additive mask and/or position bias, broadcastable to [B, H, T, S], or null
     * @param dropout on the attention probabilities, or null
     * @return [B, H, T, d]
     */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, double scale, Tensor bias, Dropout dropout) {
        Tensor scores = Ops.matmul(q, k, false, true, scale);                        // [B, H, T, S]
        if (bias != null) {
            scores = scores.add(bias);
        }
        Tensor probs = scores.softmax(-1);
        if (dropout != null) {
            probs = dropout.forward(probs);
        }
        return Ops.matmul(probs, v, false, false, 1.0);
    }
}
