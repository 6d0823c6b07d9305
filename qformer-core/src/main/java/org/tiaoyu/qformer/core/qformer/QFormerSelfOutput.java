package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/** Mirrors HF {@code Blip2QFormerSelfOutput}: {@code LayerNorm(dropout(dense(h)) + input)}, BERT's post-LN residual. */
public final class QFormerSelfOutput extends Module {

    public final Linear dense;
    public final LayerNorm layerNorm;
    private final Dropout dropout;

    public QFormerSelfOutput(int hidden, double eps, double dropoutProb, DataType type) {
        this.dense = child("dense", new Linear(hidden, hidden, true, type));
        this.layerNorm = child("LayerNorm", new LayerNorm(hidden, eps, type));
        this.dropout = child("dropout", new Dropout(dropoutProb));
    }

    public Tensor forward(Tensor hidden, Tensor input) {
        return layerNorm.forward(dropout.forward(dense.forward(hidden)).add(input));
    }
}
