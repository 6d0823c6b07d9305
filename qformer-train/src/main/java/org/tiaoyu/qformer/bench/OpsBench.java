package org.tiaoyu.qformer.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * The row-wise and elementwise ops around the matrix products, in fp32 at BERT-base shapes: exact GELU on
 * [rows, ffn], LayerNorm on [rows, hidden] (gradients for x, weight and bias), last-axis softmax on
 * [batch, heads, seq, seq]. Each op is timed on its own, forward alone (gradients off) and forward + backward; the
 * unit reported as {@code median_ms} is one forward + backward of all three (the per-run sum). There are no matrix
 * products, so {@code gflops} is 0; {@code <op>_gbps} is the minimal data a fused forward + backward touches
 * (read x, write y; read x or y and the output gradient, write the input gradient: 5 arrays of 4 bytes per element)
 * over the op's median time. Inputs are leaves, so each backward ends by writing the input's gradient.
 */
public final class OpsBench {

    private OpsBench() {}

    public static BenchResult run(int rows, int hidden, int ffn, int batch, int heads, int seq, int warmup,
            int steps) {
        Nd4j.getRandom().setSeed(0);
        Tensor geluIn = Tensor.variable(Nd4j.randn(DataType.FLOAT, rows, ffn).muli(2.0));
        INDArray geluGrad = Nd4j.randn(DataType.FLOAT, rows, ffn);

        Tensor lnIn = Tensor.variable(Nd4j.randn(DataType.FLOAT, rows, hidden).muli(3.0).addi(1.0));
        Tensor lnWeight = Tensor.variable(Nd4j.randn(DataType.FLOAT, hidden).muli(0.1).addi(1.0));
        Tensor lnBias = Tensor.variable(Nd4j.randn(DataType.FLOAT, hidden).muli(0.1));
        INDArray lnGrad = Nd4j.randn(DataType.FLOAT, rows, hidden);

        Tensor smIn = Tensor.variable(Nd4j.randn(DataType.FLOAT, batch, heads, seq, seq).muli(3.0));
        INDArray smGrad = Nd4j.randn(DataType.FLOAT, batch, heads, seq, seq);

        Map<String, Object> details = new LinkedHashMap<>();
        details.put("gelu_shape", rows + "x" + ffn);
        details.put("layernorm_shape", rows + "x" + hidden);
        details.put("softmax_shape", batch + "x" + heads + "x" + seq + "x" + seq);
        details.put("warmup", warmup);

        BenchResult gelu = time("gelu", warmup, steps, () -> {
            geluIn.zeroGrad();
            Ops.gelu(geluIn).backward(geluGrad);
        });
        BenchResult geluFwd = forward("gelu-fwd", warmup, steps, () -> Ops.gelu(geluIn));
        BenchResult ln = time("layernorm", warmup, steps, () -> {
            lnIn.zeroGrad();
            lnWeight.zeroGrad();
            lnBias.zeroGrad();
            Ops.layerNorm(lnIn, lnWeight, lnBias, 1e-12).backward(lnGrad);
        });
        BenchResult lnFwd = forward("layernorm-fwd", warmup, steps, () -> Ops.layerNorm(lnIn, lnWeight, lnBias, 1e-12));
        BenchResult sm = time("softmax", warmup, steps, () -> {
            smIn.zeroGrad();
            Ops.softmax(smIn, -1).backward(smGrad);
        });
        BenchResult smFwd = forward("softmax-fwd", warmup, steps, () -> Ops.softmax(smIn, -1));

        report(details, "gelu", gelu, geluFwd, (double) rows * ffn);
        report(details, "layernorm", ln, lnFwd, (double) rows * hidden);
        report(details, "softmax", sm, smFwd, (double) batch * heads * seq * seq);

        double[] total = new double[steps];
        for (int i = 0; i < steps; i++) {
            total[i] = gelu.millis()[i] + ln.millis()[i] + sm.millis()[i];
        }
        return BenchRunner.result("ops", total, 0.0, details);
    }

    private static BenchResult time(String name, int warmup, int steps, Runnable unit) {
        return BenchRunner.run(name, warmup, steps, 0.0, unit, Map.of());
    }

    private static BenchResult forward(String name, int warmup, int steps, Runnable unit) {
        return time(name, warmup, steps, () -> {
            try (var noGrad = Grad.off()) {
                unit.run();
            }
        });
    }

    private static void report(Map<String, Object> details, String op, BenchResult both, BenchResult fwd,
            double elements) {
        details.put(op + "_ms", round(both.median()));
        details.put(op + "_min_ms", round(both.min()));
        details.put(op + "_fwd_ms", round(fwd.median()));
        details.put(op + "_fwd_min_ms", round(fwd.min()));
        details.put(op + "_gbps", round(5 * 4 * elements / (both.median() * 1e6)));
    }

    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
