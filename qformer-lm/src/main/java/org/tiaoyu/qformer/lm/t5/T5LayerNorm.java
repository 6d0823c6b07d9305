package org.tiaoyu.qformer.lm.t5;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code T5LayerNorm}: RMS normalisation, {@code weight · x / sqrt(mean(x²) + eps)}, no mean subtraction
 * and no bias.
 */
public final class T5LayerNorm extends Module {

    public final Tensor weight;
    private final double eps;

    public T5LayerNorm(int size, double eps, DataType type) {
        this.weight = parameter("weight", Nd4j.ones(type, size));
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        Tensor meanSquare = Ops.mean(x.mul(x), true, -1).add(eps);
        Tensor inverseRms = meanSquare.log().mul(-0.5).exp();                  // (mean(x²) + eps)^-1/2
        return x.mul(inverseRms).mul(weight);
    }
}
