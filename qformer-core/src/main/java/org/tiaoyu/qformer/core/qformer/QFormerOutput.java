package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * BERT's post-LN residual, {@code LayerNorm(dropout(dense(h)) + input)}: HF's {@code Blip2QFormerSelfOutput} (after
 * attention, {@code in = hidden}) and {@code Blip2QFormerOutput} (after the feed-forward, {@code in = intermediate}),
 * which differ only in the dense layer's input width.
 */
public final class QFormerOutput extends Module {

    public final Linear dense;
    public final LayerNorm layerNorm;
    private final Dropout dropout;

    public QFormerOutput(int in, int hidden, double eps, double dropoutProb, DataType type) {
        this.dense = child("dense", new Linear(in, hidden, true, type));
        this.layerNorm = child("LayerNorm", new LayerNorm(hidden, eps, type));
        this.dropout = child("dropout", new Dropout(dropoutProb));
    }

    /** h [..., in], input [..., hidden] → [..., hidden]. */
    public Tensor forward(Tensor h, Tensor input) {
        return layerNorm.forward(dropout.forward(dense.forward(h)).add(input));
    }
}
