package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/** Mirrors HF {@code Blip2QFormerIntermediate}: the feed-forward's first half, {@code act(dense(h))}. */
public final class QFormerIntermediate extends Module {

    public final Linear dense;
    private final Activation activation;

    public QFormerIntermediate(int hidden, int intermediate, Activation activation, DataType type) {
        this.dense = child("dense", new Linear(hidden, intermediate, true, type));
        this.activation = activation;
    }

    public Tensor forward(Tensor h) {
        return activation.apply(dense.forward(h));
    }
}
