package org.tiaoyu.qformer.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * Forward + backward of one linear layer, {@code [rows × in] · [in × out]ᵀ + b}, with gradients for the input, the
 * weight and the bias: three gemms, {@code 3 · 2·rows·in·out} FLOPs.
 */
public final class LinearBench {

    private LinearBench() {}

    public static BenchResult run(int rows, int in, int out, int warmup, int steps) {
        Nd4j.getRandom().setSeed(0);
        Tensor x = Tensor.variable(Nd4j.randn(DataType.FLOAT, rows, in));
        Tensor w = Tensor.variable(Nd4j.randn(DataType.FLOAT, out, in).muli(1.0 / Math.sqrt(in)));
        Tensor b = Tensor.variable(Nd4j.randn(DataType.FLOAT, out));
        INDArray gradOut = Nd4j.randn(DataType.FLOAT, rows, out);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("rows", rows);
        details.put("in", in);
        details.put("out", out);
        double flops = 3.0 * 2.0 * rows * (double) in * out;
        return BenchRunner.run("linear", warmup, steps, flops, () -> {
            x.zeroGrad();
            w.zeroGrad();
            b.zeroGrad();
            Ops.linear(x, w, b).backward(gradOut);
        }, details);
    }
}
