package org.tiaoyu.qformer.lm.opt;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.nn.Attention;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.KeyValue;
import org.tiaoyu.qformer.core.nn.KeyValueCache;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code OPTAttention}: {@code q_proj} (scaled by headDim^-1/2), {@code k_proj}, {@code v_proj},
 * {@code out_proj}, with an additive mask and {@code attention_dropout} on the probabilities in training mode; heads
 * split by views, one batched product each for scores and context.
 */
public final class OptAttention extends Module {

    public final Linear kProj;
    public final Linear vProj;
    public final Linear qProj;
    public final Linear outProj;
    private final Dropout attentionDropout;
    private final int heads;

    public OptAttention(OptConfig c, DataType type) {
        int d = c.hiddenSize();
        this.kProj = child("k_proj", new Linear(d, d, c.enableBias(), type));
        this.vProj = child("v_proj", new Linear(d, d, c.enableBias(), type));
        this.qProj = child("q_proj", new Linear(d, d, c.enableBias(), type));
        this.outProj = child("out_proj", new Linear(d, d, c.enableBias(), type));
        this.attentionDropout = child("dropout", new Dropout(c.attentionDropout()));
        this.heads = c.numAttentionHeads();
    }

    /**
     * h [B, T, D] → [B, T, D].
     *
     * @param mask  additive, broadcastable to [B, heads, T, P+T]
     * @param cache generation's KV cache holding the P earlier tokens' keys/values (these T are appended), or null
     */
    public Tensor forward(Tensor h, Tensor mask, KeyValueCache cache) {
        long d = h.size(2);
        Tensor q = Attention.splitHeads(qProj.forward(h), heads);                    // [B, H, T, hd]
        KeyValue kv = new KeyValue(Attention.splitHeads(kProj.forward(h), heads),
                Attention.splitHeads(vProj.forward(h), heads));
        if (cache != null) {
            kv = cache.append(kv);                                                   // [B, H, P+T, hd]
        }
        Tensor context = Attention.scaledDotProduct(q, kv.key(), kv.value(), 1.0 / Math.sqrt(d / heads), mask,
                attentionDropout);
        return outProj.forward(Attention.mergeHeads(context));
    }
}
