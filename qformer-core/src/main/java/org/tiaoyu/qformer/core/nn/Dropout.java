package org.tiaoyu.qformer.core.nn;

import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/** {@code torch.nn.Dropout}: active only in training mode, with the tree's random source. */
public final class Dropout extends Module {

    private final double p;

    public Dropout(double p) {
        if (p < 0.0 || p >= 1.0) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
    }

    public Tensor forward(Tensor x) {
        return isTraining() ? Ops.dropout(x, p, trainingRng()) : x;
    }
}
