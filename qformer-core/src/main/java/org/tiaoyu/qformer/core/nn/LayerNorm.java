package org.tiaoyu.qformer.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/** {@code torch.nn.LayerNorm} over the last axis, with the model's epsilon (1e-12 in BERT, 1e-6 in EVA ViT). */
public final class LayerNorm extends Module {

    public final Tensor weight;
    public final Tensor bias;
    private final double eps;

    public LayerNorm(long size, double eps, DataType type) {
        this.weight = parameter("weight", Nd4j.ones(type, size));
        this.bias = parameter("bias", Nd4j.zeros(type, size));
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return Ops.layerNorm(x, weight, bias, eps);
    }

    public double eps() {
        return eps;
    }
}
