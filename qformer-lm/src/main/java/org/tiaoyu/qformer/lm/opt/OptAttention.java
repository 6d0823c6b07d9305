package org.tiaoyu.qformer.lm.opt;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code OPTAttention}: {@code q_proj} (scaled by headDim^-1/2), {@code k_proj}, {@code v_proj},
 * {@code out_proj}, with an additive mask; heads split by views, one batched product each for scores and context.
 */
public final class OptAttention extends Module {

    /** A layer's cached keys and values, [B, heads, P, headDim] each. */
    public record KeyValue(Tensor key, Tensor value) {}

    /** The attention's output and the keys/values it attended to. */
    public record Result(Tensor output, KeyValue keyValue) {}

    public final Linear kProj;
    public final Linear vProj;
    public final Linear qProj;
    public final Linear outProj;
    private final int heads;

    public OptAttention(OptConfig c, DataType type) {
        int d = c.hiddenSize();
        this.kProj = child("k_proj", new Linear(d, d, c.enableBias(), type));
        this.vProj = child("v_proj", new Linear(d, d, c.enableBias(), type));
        this.qProj = child("q_proj", new Linear(d, d, c.enableBias(), type));
        this.outProj = child("out_proj", new Linear(d, d, c.enableBias(), type));
        this.heads = c.numAttentionHeads();
    }

    /**
     * h [B, T, D] → [B, T, D] and the keys/values attended to, {@code past}'s first (the KV cache of generation).
     *
     * @param mask additive, broadcastable to [B, heads, T, P+T]
     * @param past keys and values of the P earlier tokens, or null
     */
    public Result forward(Tensor h, Tensor mask, KeyValue past) {
        long b = h.size(0);
        long t = h.size(1);
        long d = h.size(2);
        Tensor q = split(qProj.forward(h));                                          // [B, H, T, hd]
        Tensor k = split(kProj.forward(h));
        Tensor v = split(vProj.forward(h));
        if (past != null) {
            k = Ops.concat(2, past.key(), k);                                        // [B, H, P+T, hd]
            v = Ops.concat(2, past.value(), v);
        }
        Tensor scores = Ops.matmul(q, k, false, true, 1.0 / Math.sqrt(d / heads)).add(mask); // [B, H, T, P+T]
        Tensor context = Ops.matmul(scores.softmax(-1), v, false, false, 1.0);       // [B, H, T, hd]
        return new Result(outProj.forward(context.permute(0, 2, 1, 3).reshape(b, t, d)), new KeyValue(k, v));
    }

    private Tensor split(Tensor x) {
        return x.reshape(x.size(0), x.size(1), heads, x.size(2) / heads).permute(0, 2, 1, 3);
    }
}
