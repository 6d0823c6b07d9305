package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.KeyValue;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.qformer.QFormerMultiHeadAttention.Result;

/** Mirrors HF {@code Blip2QFormerAttention}: multi-head attention followed by its output block. */
public final class QFormerAttention extends Module {

    public final QFormerMultiHeadAttention attention;
    public final QFormerOutput output;

    public QFormerAttention(int hidden, int sourceWidth, int heads, double eps, double attentionDropout,
            double hiddenDropout, DataType type) {
        this.attention = child("attention",
                new QFormerMultiHeadAttention(hidden, sourceWidth, heads, attentionDropout, type));
        this.output = child("output", new QFormerOutput(hidden, hidden, eps, hiddenDropout, type));
    }

    /** Self-attention when {@code source} is {@code hidden}; cross-attention to image features otherwise. */
    public Result forward(Tensor hidden, Tensor source, Tensor mask, KeyValue past) {
        Result r = attention.forward(hidden, source, mask, past);
        return new Result(output.forward(r.output(), hidden), r.keyValue());
    }

    /** Attention without cached rows, returning only the output. */
    public Tensor forward(Tensor hidden, Tensor source, Tensor mask) {
        return forward(hidden, source, mask, null).output();
    }
}
