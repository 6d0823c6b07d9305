package org.tiaoyu.qformer.vision;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code Blip2EncoderLayer} and {@code CLIPEncoderLayer}, which differ only in their attention: a pre-LN
 * block, {@code h += self_attn(layer_norm1(h))}, then {@code h += mlp(layer_norm2(h))}.
 *
 * @param <A> the {@code self_attn} block, {@link VisionAttention} or {@link ClipAttention}
 */
public final class VisionEncoderLayer<A extends Module & SelfAttention> extends Module {

    public final LayerNorm layerNorm1;
    public final A selfAttn;
    public final LayerNorm layerNorm2;
    public final VisionMlp mlp;

    public VisionEncoderLayer(A selfAttn, int hidden, int intermediate, double eps, Activation activation,
            DataType type) {
        this.selfAttn = child("self_attn", selfAttn);
        this.layerNorm1 = child("layer_norm1", new LayerNorm(hidden, eps, type));
        this.mlp = child("mlp", new VisionMlp(hidden, intermediate, activation, type));
        this.layerNorm2 = child("layer_norm2", new LayerNorm(hidden, eps, type));
    }

    /** [B, T, D] → [B, T, D]. */
    public Tensor forward(Tensor hidden) {
        Tensor h = hidden.add(selfAttn.forward(layerNorm1.forward(hidden)));
        return h.add(mlp.forward(layerNorm2.forward(h)));
    }
}
