package org.tiaoyu.qformer.vision;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code CLIPAttention} without its masks (the vision tower uses none): separate {@code q_proj},
 * {@code k_proj}, {@code v_proj} [D, D] with biases, attention scaled by 1/√(D/H), then {@code out_proj}. Attention
 * dropout is not applied (frozen encoder).
 */
public final class ClipAttention extends Module implements SelfAttention {

    public final Linear kProj;
    public final Linear vProj;
    public final Linear qProj;
    public final Linear outProj;
    private final int heads;

    public ClipAttention(int hidden, int heads, DataType type) {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of " + heads + " heads");
        }
        this.kProj = child("k_proj", new Linear(hidden, hidden, true, type));
        this.vProj = child("v_proj", new Linear(hidden, hidden, true, type));
        this.qProj = child("q_proj", new Linear(hidden, hidden, true, type));
        this.outProj = child("out_proj", new Linear(hidden, hidden, true, type));
        this.heads = heads;
    }

    /** hidden [B, T, D] → [B, T, D]. */
    @Override
    public Tensor forward(Tensor hidden) {
        Tensor context = SelfAttention.scaledDotProduct(qProj.forward(hidden), kProj.forward(hidden),
                vProj.forward(hidden), heads);                                       // [B, T, D]
        return outProj.forward(context);
    }
}
