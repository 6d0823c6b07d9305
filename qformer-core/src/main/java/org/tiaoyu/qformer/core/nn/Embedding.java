package org.tiaoyu.qformer.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/** {@code torch.nn.Embedding}: a lookup table {@code weight} [num, dim]; repeated ids add their gradients. */
public final class Embedding extends Module {

    public final Tensor weight;

    public Embedding(long num, long dim, DataType type) {
        this.weight = parameter("weight", Nd4j.zeros(type, num, dim));
    }

    /** ids (any integer array) → ids.shape + [dim]. */
    public Tensor forward(INDArray ids) {
        return Ops.embedding(weight, ids);
    }
}
