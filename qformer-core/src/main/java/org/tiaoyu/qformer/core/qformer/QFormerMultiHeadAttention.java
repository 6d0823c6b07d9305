package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Attention;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.KeyValue;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code Blip2QFormerMultiHeadAttention}: scaled dot-product attention with an additive mask, heads split
 * by views (no per-head loops: one batched product for the scores and one for the context, the 1/√d scale folded
 * into the first). For cross-attention, {@code key} and {@code value} read the image features' width. Keys and
 * values of earlier rows ({@code past}) can be prepended, as LAVIS's ITG pass does with the queries' cached ones.
 */
public final class QFormerMultiHeadAttention extends Module {


    /** The attention's output [B, T, D] and the keys and values it attended to (past ones included). */
    public record Result(Tensor output, KeyValue keyValue) {}

    public final Linear query;
    public final Linear key;
    public final Linear value;
    private final Dropout dropout;
    private final int heads;

    public QFormerMultiHeadAttention(int hidden, int sourceWidth, int heads, double dropoutProb, DataType type) {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of " + heads + " heads");
        }
        this.query = child("query", new Linear(hidden, hidden, true, type));
        this.key = child("key", new Linear(sourceWidth, hidden, true, type));
        this.value = child("value", new Linear(sourceWidth, hidden, true, type));
        this.dropout = child("dropout", new Dropout(dropoutProb));
        this.heads = heads;
    }

    /**
     * @param hidden [B, T, D], the rows that attend
     * @param source [B, S, Ds], what they attend to ({@code hidden} itself for self-attention), or null to attend
     *               to {@code past} only (cross-attention to image keys/values computed once, {@link #keyValue})
     * @param mask   additive, broadcastable to [B, heads, T, P+S] (0 = visible, a large negative = hidden), or null
     * @param past   keys and values of P earlier rows to attend to as well, or null
     */
    public Result forward(Tensor hidden, Tensor source, Tensor mask, KeyValue past) {
        long hiddenSize = query.outFeatures();
        Tensor q = Attention.splitHeads(query.forward(hidden), heads);       // [B, H, T, d]
        KeyValue kv = source == null ? past : keyValue(source);              // [B, H, S, d] each
        if (past != null && source != null) {
            kv = past.append(kv);                                            // [B, H, P+S, d]
        }
        Tensor context = Attention.scaledDotProduct(q, kv.key(), kv.value(), 1.0 / Math.sqrt(hiddenSize / heads),
                mask, dropout);
        return new Result(Attention.mergeHeads(context), kv);                // [B, T, D]
    }

    /** The keys and values of {@code source} [B, S, Ds], [B, H, S, d] each. */
    public KeyValue keyValue(Tensor source) {
        return new KeyValue(Attention.splitHeads(key.forward(source), heads),
                Attention.splitHeads(value.forward(source), heads));
    }
}
