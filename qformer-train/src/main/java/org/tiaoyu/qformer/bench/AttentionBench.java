package org.tiaoyu.qformer.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.QFormerAttention;

/**
 * Forward + backward of one Q-Former self-attention block (query/key/value, scores with a 2-D additive causal mask,
 * softmax, context, output dense + residual + LayerNorm) at the given width. FLOPs counted: the four projections
 * ({@code 4 · 2·N·D²}) and the two attention products ({@code 2 · 2·B·T²·D}), forward once and backward twice.
 */
public final class AttentionBench {

    private AttentionBench() {}

    public static BenchResult run(int batch, int seq, int hidden, int heads, int warmup, int steps) {
        Nd4j.getRandom().setSeed(0);
        var block = new QFormerAttention(hidden, hidden, heads, 1e-12, 0.0, 0.0, DataType.FLOAT);
        block.namedParameters().forEach((name, p) -> {
            if (name.endsWith("weight") && p.rank() == 2) {
                p.data().assign(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.02));
            }
        });
        Tensor x = Tensor.variable(Nd4j.randn(DataType.FLOAT, batch, seq, hidden));
        INDArray causal = Nd4j.zeros(DataType.FLOAT, seq, seq);
        for (int i = 0; i < seq; i++) {
            for (int j = i + 1; j < seq; j++) {
                causal.putScalar(i, j, -10000f);
            }
        }
        Tensor mask = Tensor.constant(causal);
        INDArray gradOut = Nd4j.randn(DataType.FLOAT, batch, seq, hidden);
        double n = (double) batch * seq;
        double forward = 4 * 2 * n * hidden * hidden + 2 * 2 * (double) batch * seq * seq * hidden;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("batch", batch);
        details.put("seq", seq);
        details.put("hidden", hidden);
        details.put("heads", heads);
        return BenchRunner.run("attention", warmup, steps, 3 * forward, () -> {
            block.zeroGrad();
            x.zeroGrad();
            block.forward(x, x, mask).backward(gradOut);
        }, details);
    }
}
