package org.tiaoyu.qformer.lm.t5;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.T5Config;
import org.tiaoyu.qformer.core.nn.Attention;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.Embedding;
import org.tiaoyu.qformer.core.nn.KeyValue;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code T5Attention}: {@code q}, {@code k}, {@code v}, {@code o} without bias and without the 1/√d scale;
 * the first layer of each stack owns {@code relative_attention_bias}, the bucketed relative-position bias every
 * layer of that stack adds to its scores. In training mode {@code dropout_rate} applies to the probabilities.
 */
public final class T5Attention extends Module {

    public final Linear q;
    public final Linear k;
    public final Linear v;
    public final Linear o;
    public final Embedding relativeAttentionBias; // null but in the first layer of a stack's self-attention
    private final Dropout dropout;
    private final T5Config config;
    private final boolean bidirectional;

    public T5Attention(T5Config c, boolean hasRelativeBias, boolean bidirectional, DataType type) {
        int inner = c.numHeads() * c.dKv();
        this.q = child("q", new Linear(c.dModel(), inner, false, type));
        this.k = child("k", new Linear(c.dModel(), inner, false, type));
        this.v = child("v", new Linear(c.dModel(), inner, false, type));
        this.o = child("o", new Linear(inner, c.dModel(), false, type));
        this.relativeAttentionBias = hasRelativeBias ? child("relative_attention_bias",
                new Embedding(c.relativeAttentionNumBuckets(), c.numHeads(), type)) : null;
        this.dropout = child("dropout", new Dropout(c.dropoutRate()));
        this.config = c;
        this.bidirectional = bidirectional;
    }

    /**
     * @param h    [B, T, D] the attending rows
     * @param kv   [B, S, D] what they attend to ({@code h} for self-attention)
     * @param bias additive [.., heads, T, S]: position bias plus mask
     */
    public Tensor forward(Tensor h, Tensor kv, Tensor bias) {
        return attend(h, keyValue(kv), bias);
    }

    /** Keys and values of {@code source} [B, S, D], [B, heads, S, dKv] each (cached by generation). */
    public KeyValue keyValue(Tensor source) {
        return new KeyValue(Attention.splitHeads(k.forward(source), config.numHeads()),
                Attention.splitHeads(v.forward(source), config.numHeads()));
    }

    /** {@code h} [B, T, D] attending to given keys/values with an additive {@code bias} → [B, T, D]. */
    public Tensor attend(Tensor h, KeyValue kv, Tensor bias) {
        Tensor qh = Attention.splitHeads(q.forward(h), config.numHeads());            // [B, H, T, dk]
        Tensor context = Attention.scaledDotProduct(qh, kv.key(), kv.value(), 1.0, bias, dropout); // no 1/√d
        return o.forward(Attention.mergeHeads(context));
    }

    /**
     * HF's {@code compute_bias}: [1, heads, queries, keys] from the bucketed {@code key − query} distances, for the
     * query positions {@code firstQuery …} (a decoding step needs only its own row).
     */
    public Tensor positionBias(int firstQuery, int queries, int keys) {
        long[] buckets = new long[queries * keys];
        for (int i = 0; i < queries; i++) {
            for (int j = 0; j < keys; j++) {
                buckets[i * keys + j] = bucket(j - (firstQuery + i), bidirectional,
                        config.relativeAttentionNumBuckets(), config.relativeAttentionMaxDistance());
            }
        }
        Tensor values = relativeAttentionBias.forward(Nd4j.createFromArray(buckets).reshape(queries, keys)); // [T,S,H]
        return values.permute(2, 0, 1).reshape(1, config.numHeads(), queries, keys);
    }

    /** HF's {@code _relative_position_bucket}: exact buckets for small distances, logarithmic ones further out. */
    static long bucket(int relativePosition, boolean bidirectional, int numBuckets, int maxDistance) {
        long bucket = 0;
        int n = numBuckets;
        int position = relativePosition;
        if (bidirectional) {
            n /= 2;
            bucket += position > 0 ? n : 0;
            position = Math.abs(position);
        } else {
            position = -Math.min(position, 0);
        }
        int maxExact = n / 2;
        if (position < maxExact) {
            return bucket + position;
        }
        float scaled = (float) (Math.log((float) position / maxExact) / Math.log((double) maxDistance / maxExact)
                * (n - maxExact));
        return bucket + Math.min(maxExact + (long) scaled, n - 1);
    }
}
