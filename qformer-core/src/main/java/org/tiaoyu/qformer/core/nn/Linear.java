package org.tiaoyu.qformer.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/** {@code torch.nn.Linear}: {@code y = x·Wᵀ + b} with {@code weight} [out, in] and {@code bias} [out]. Zero-initialised. */
public final class Linear extends Module {

    public final Tensor weight;
    public final Tensor bias;

    public Linear(long in, long out, boolean bias, DataType type) {
        this.weight = parameter("weight", Nd4j.zeros(type, out, in));
        this.bias = bias ? parameter("bias", Nd4j.zeros(type, out)) : null;
    }

    /** x [..., in] → [..., out]. */
    public Tensor forward(Tensor x) {
        return Ops.linear(x, weight, bias);
    }

    public long inFeatures() {
        return weight.size(1);
    }

    public long outFeatures() {
        return weight.size(0);
    }
}
