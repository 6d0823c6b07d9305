package org.tiaoyu.qformer.core.qformer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.tiaoyu.qformer.core.autograd.GradCheck;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;

class QFormerAttentionTest {

    private static void randomize(QFormerAttention block, long seed) {
        Rng rng = new Rng(seed);
        block.namedParameters().values().forEach(p -> {
            INDArray a = p.data();
            for (long i = 0; i < a.length(); i++) {
                a.putScalar(i, 0.5 * rng.nextGaussian() + (p.rank() == 1 ? 0.1 : 0.0));
            }
        });
    }

    @Test
    void crossAttentionMatchesAPerHeadLoop() {
        int hidden = 8;
        int heads = 2;
        var block = new QFormerAttention(hidden, 6, heads, 1e-12, 0, 0, DataType.DOUBLE);
        randomize(block, 1);
        var h = GradCheck.randomVariable(2, 2, 3, hidden).data();
        var ctx = GradCheck.randomVariable(3, 2, 5, 6).data();
        var mask = Nd4j.zeros(DataType.DOUBLE, 2, 1, 1, 5);
        mask.putScalar(new long[] {1, 0, 0, 4}, -10000);
        INDArray got = block.forward(Tensor.constant(h), Tensor.constant(ctx), Tensor.constant(mask)).data();

        var att = block.attention;
        var out = block.output;
        int d = hidden / heads;
        for (int b = 0; b < 2; b++) {
            INDArray hb = h.get(NDArrayIndex.point(b)).dup();
            INDArray cb = ctx.get(NDArrayIndex.point(b)).dup();
            INDArray q = hb.mmul(att.query.weight.data().transpose()).addRowVector(att.query.bias.data());
            INDArray k = cb.mmul(att.key.weight.data().transpose()).addRowVector(att.key.bias.data());
            INDArray v = cb.mmul(att.value.weight.data().transpose()).addRowVector(att.value.bias.data());
            INDArray context = Nd4j.zeros(DataType.DOUBLE, 3, hidden);
            for (int head = 0; head < heads; head++) {
                var cols = NDArrayIndex.interval(head * d, (head + 1) * d);
                INDArray s = q.get(NDArrayIndex.all(), cols).mmul(k.get(NDArrayIndex.all(), cols).transpose())
                        .div(Math.sqrt(d)).addRowVector(mask.get(NDArrayIndex.point(b)).reshape(5));
                INDArray p = Transforms.exp(s.subColumnVector(s.max(1)));
                p.diviColumnVector(p.sum(1));
                context.get(NDArrayIndex.all(), cols).assign(p.mmul(v.get(NDArrayIndex.all(), cols)));
            }
            INDArray pre = context.mmul(out.dense.weight.data().transpose()).addRowVector(out.dense.bias.data())
                    .add(hb);
            INDArray centered = pre.subColumnVector(pre.mean(1));
            INDArray std = Transforms.sqrt(centered.mul(centered).mean(1).add(1e-12));
            INDArray expected = centered.divColumnVector(std).mulRowVector(out.layerNorm.weight.data())
                    .addRowVector(out.layerNorm.bias.data());
            assertEquals(0.0, expected.sub(got.get(NDArrayIndex.point(b))).amaxNumber().doubleValue(), 1e-10);
        }
    }

    @Test
    void gradientsOfSelfAttentionWithA2dMask() {
        var block = new QFormerAttention(8, 8, 2, 1e-12, 0, 0, DataType.DOUBLE);
        randomize(block, 4);
        var causal = Nd4j.zeros(DataType.DOUBLE, 4, 4);
        for (int i = 0; i < 4; i++) {
            for (int j = i + 1; j < 4; j++) {
                causal.putScalar(i, j, -10000);
            }
        }
        Tensor mask = Tensor.constant(causal);
        var p = block.namedParameters();
        GradCheck.check(t -> block.forward(t[0], t[0], mask), GradCheck.randomVariable(5, 2, 4, 8),
                p.get("attention.query.weight"), p.get("attention.key.weight"), p.get("attention.value.bias"),
                p.get("output.dense.weight"), p.get("output.LayerNorm.weight"));
    }
}
