package org.tiaoyu.qformer.vision;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code Blip2Attention}: one fused projection {@code qkv} (weight [3D, D]) gives q, k and v; unmasked
 * attention scaled by 1/√(D/H); then {@code projection} [D, D]. Attention dropout is not applied: the tower is a frozen
 * encoder (BLIP-2 checkpoints set it to 0).
 *
 * <p>The q/v bias comes in two checkpoint layouts ({@link QkvBias}): transformers ≥ 4.47 folds it into
 * {@code qkv.bias} [3D] (with a zero k part); older checkpoints keep {@code q_bias} and {@code v_bias} [D] and no k bias.
 */
public final class VisionAttention extends Module implements SelfAttention {

    /** How a checkpoint stores the qkv bias (HF's {@code qkv_bias} config flag says whether there is one). */
    public enum QkvBias {
        /** No bias ({@code qkv_bias} false). */
        NONE,
        /** {@code qkv.bias} [3D]. */
        FUSED,
        /** {@code q_bias} [D] and {@code v_bias} [D]; the k bias is zero. */
        SPLIT
    }

    public final Linear qkv;
    public final Tensor qBias;
    public final Tensor vBias;
    public final Linear projection;
    private final int heads;

    public VisionAttention(int hidden, int heads, QkvBias bias, DataType type) {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of " + heads + " heads");
        }
        this.qBias = bias == QkvBias.SPLIT ? parameter("q_bias", Nd4j.zeros(type, hidden)) : null;
        this.vBias = bias == QkvBias.SPLIT ? parameter("v_bias", Nd4j.zeros(type, hidden)) : null;
        this.qkv = child("qkv", new Linear(hidden, 3L * hidden, bias == QkvBias.FUSED, type));
        this.projection = child("projection", new Linear(hidden, hidden, true, type));
        this.heads = heads;
    }

    /** hidden [B, T, D] → [B, T, D]. */
    @Override
    public Tensor forward(Tensor hidden) {
        long d = projection.outFeatures();
        Tensor bias = qkv.bias;
        if (qBias != null) { // HF: torch.cat((q_bias, torch.zeros_like(v_bias), v_bias))
            bias = Ops.concat(0, qBias, Tensor.constant(Nd4j.zeros(qBias.dataType(), d)), vBias);
        }
        Tensor mixed = Ops.linear(hidden, qkv.weight, bias);                         // [B, T, 3D]
        Tensor context = SelfAttention.scaledDotProduct(mixed.slice(-1, 0, d), mixed.slice(-1, d, 2 * d),
                mixed.slice(-1, 2 * d, 3 * d), heads);                               // [B, T, D]
        return projection.forward(context);
    }
}
