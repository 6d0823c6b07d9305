package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Module;

/** Mirrors HF {@code Blip2QFormerAttention}: multi-head attention followed by its output block. */
public final class QFormerAttention extends Module {

    public final QFormerMultiHeadAttention attention;
    public final QFormerSelfOutput output;

    public QFormerAttention(int hidden, int contextWidth, int heads, double eps, double attentionDropout,
            double hiddenDropout, DataType type) {
        this.attention = child("attention",
                new QFormerMultiHeadAttention(hidden, contextWidth, heads, attentionDropout, type));
        this.output = child("output", new QFormerSelfOutput(hidden, eps, hiddenDropout, type));
    }

    /** Self-attention when {@code context} is {@code hidden}; cross-attention to image features otherwise. */
    public Tensor forward(Tensor hidden, Tensor context, Tensor mask) {
        return output.forward(attention.forward(hidden, context, mask), hidden);
    }
}
