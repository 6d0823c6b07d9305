package org.tiaoyu.qformer.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** One fp32 matrix product {@code [m×k]·[n×k]ᵀ} through {@code Nd4j.gemm}: the ceiling the engine's ops work under. */
public final class GemmBench {

    private GemmBench() {}

    public static BenchResult run(int m, int n, int k, int warmup, int steps) {
        Nd4j.getRandom().setSeed(0);
        INDArray a = Nd4j.rand(DataType.FLOAT, m, k);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, k);
        INDArray c = Nd4j.create(DataType.FLOAT, m, n);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("m", m);
        details.put("n", n);
        details.put("k", k);
        return BenchRunner.run("gemm", warmup, steps, 2.0 * m * n * (double) k,
                () -> Nd4j.gemm(a, b, c, false, true, 1.0, 0.0), details);
    }
}
