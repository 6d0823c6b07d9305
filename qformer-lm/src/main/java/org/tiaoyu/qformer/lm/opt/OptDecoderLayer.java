package org.tiaoyu.qformer.lm.opt;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.KeyValueCache;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code OPTDecoderLayer}: self-attention and a ReLU feed-forward ({@code fc1}, {@code fc2}), each a
 * residual branch with its LayerNorm before ({@code do_layer_norm_before}, every OPT but 350m) or after; eps 1e-5.
 * In training mode {@code dropout} applies to each branch's output before the residual sum, as in HF.
 */
public final class OptDecoderLayer extends Module {

    private static final double EPS = 1e-5;

    public final OptAttention selfAttn;
    public final LayerNorm selfAttnLayerNorm;
    public final Linear fc1;
    public final Linear fc2;
    public final LayerNorm finalLayerNorm;
    private final Dropout dropout;
    private final OptConfig config;

    public OptDecoderLayer(OptConfig c, DataType type) {
        this.selfAttn = child("self_attn", new OptAttention(c, type));
        this.selfAttnLayerNorm = child("self_attn_layer_norm", new LayerNorm(c.hiddenSize(), EPS, type));
        this.fc1 = child("fc1", new Linear(c.hiddenSize(), c.ffnDim(), c.enableBias(), type));
        this.fc2 = child("fc2", new Linear(c.ffnDim(), c.hiddenSize(), c.enableBias(), type));
        this.finalLayerNorm = child("final_layer_norm", new LayerNorm(c.hiddenSize(), EPS, type));
        this.dropout = child("dropout", new Dropout(c.dropout()));
        this.config = c;
    }

    /** h [B, T, D] → [B, T, D]; with a KV cache (generation), these T tokens' keys/values are appended to it. */
    public Tensor forward(Tensor h, Tensor mask, KeyValueCache cache) {
        boolean before = config.doLayerNormBefore();
        Tensor attended = h.add(dropout.forward(selfAttn.forward(before ? selfAttnLayerNorm.forward(h) : h, mask, cache)));
        h = before ? attended : selfAttnLayerNorm.forward(attended);
        Tensor ffnIn = before ? finalLayerNorm.forward(h) : h;
        Tensor out = h.add(dropout.forward(fc2.forward(config.activationFunction().apply(fc1.forward(ffnIn)))));
        return before ? out : finalLayerNorm.forward(out);
    }
}
