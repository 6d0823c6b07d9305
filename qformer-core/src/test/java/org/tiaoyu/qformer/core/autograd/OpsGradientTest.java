package org.tiaoyu.qformer.core.autograd;

import static org.tiaoyu.qformer.core.autograd.GradCheck.check;
import static org.tiaoyu.qformer.core.autograd.GradCheck.randomVariable;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** A finite-difference check of every op's backward, in double precision. */
class OpsGradientTest {

    @Test
    void addBroadcastsBothWays() {
        check(t -> Ops.add(t[0], t[1]), randomVariable(1, 2, 3, 4), randomVariable(2, 1, 3, 1));
        check(t -> Ops.add(t[0], t[1]), randomVariable(3, 4), randomVariable(4, 2, 3, 4));
    }

    @Test
    void subMulDivBroadcast() {
        check(t -> Ops.sub(t[0], t[1]), randomVariable(1, 2, 3), randomVariable(2, 3));
        check(t -> Ops.mul(t[0], t[1]), randomVariable(3, 2, 3), randomVariable(4, 2, 1));
        Tensor positive = Tensor.variable(Nd4j.rand(DataType.DOUBLE, 1, 3).addi(0.5));
        check(t -> Ops.div(t[0], t[1]), randomVariable(5, 2, 3), positive);
    }

    @Test
    void divisionByALearnableScalar() { // ITC's similarity / temperature
        Tensor temp = Tensor.variable(Nd4j.scalar(0.07));
        check(t -> Ops.div(t[0], t[1]), randomVariable(6, 3, 3), temp);
    }

    @Test
    void scalarOps() {
        check(t -> Ops.add(Ops.mul(t[0], -2.5), 3.0), randomVariable(7, 4, 5));
    }

    @Test
    void elementwise() {
        check(t -> Ops.exp(t[0]), randomVariable(8, 3, 4));
        check(t -> Ops.log(t[0]), Tensor.variable(Nd4j.rand(DataType.DOUBLE, 3, 4).addi(0.1)));
        check(t -> Ops.gelu(t[0]), randomVariable(9, 5, 7));
        check(t -> Ops.relu(t[0]), randomVariable(10, 5, 7));
    }

    @Test
    void matmulAllTransposes() {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Tensor a = ta ? randomVariable(11, 4, 3) : randomVariable(11, 3, 4);
                Tensor b = tb ? randomVariable(12, 5, 4) : randomVariable(12, 4, 5);
                check(t -> Ops.matmul(t[0], t[1], ta, tb, 0.7), a, b);
            }
        }
    }

    @Test
    void batchedMatmulOnPermutedViews() { // attention: [B,T,H,d] viewed as [B,H,T,d]
        Tensor q = randomVariable(13, 2, 3, 2, 4);
        Tensor k = randomVariable(14, 2, 5, 2, 4);
        check(t -> Ops.matmul(t[0].permute(0, 2, 1, 3), t[1].permute(0, 2, 1, 3), false, true, 0.5), q, k);
        check(t -> Ops.matmul(t[0].permute(0, 2, 3, 1), t[1].permute(0, 2, 3, 1), true, false, 1.0), q, k);
    }

    @Test
    void linearWithAndWithoutBias() {
        check(t -> Ops.linear(t[0], t[1], t[2]), randomVariable(15, 2, 3, 4), randomVariable(16, 5, 4),
                randomVariable(17, 5));
        check(t -> Ops.linear(t[0], t[1], null), randomVariable(18, 3, 4), randomVariable(19, 2, 4));
    }

    @Test
    void weightUsedTwiceAccumulates() { // tied embeddings: the same weight in two products
        Tensor w = randomVariable(20, 3, 4);
        check(t -> Ops.add(Ops.linear(t[0], t[1], null), Ops.linear(t[0], t[1], null).mul(2.0)),
                randomVariable(21, 2, 4), w);
    }

    @Test
    void softmaxAndLogSoftmaxOnAnyAxis() {
        for (int axis : new int[] {0, 1, -1}) {
            check(t -> Ops.softmax(t[0], axis), randomVariable(22, 3, 4, 5));
            check(t -> Ops.logSoftmax(t[0], axis), randomVariable(23, 3, 4, 5));
        }
    }

    @Test
    void softmaxWithAdditiveMask() {
        Tensor mask = Tensor.constant(Nd4j.createFromArray(new double[][] {{0, 0, -10000, 0}}).reshape(1, 1, 4));
        check(t -> Ops.softmax(Ops.add(t[0], mask), -1), randomVariable(24, 2, 3, 4));
    }

    @Test
    void layerNorm() {
        Tensor w = Tensor.variable(Nd4j.rand(DataType.DOUBLE, 6).addi(0.5));
        check(t -> Ops.layerNorm(t[0], t[1], t[2], 1e-5), randomVariable(25, 2, 3, 6), w, randomVariable(26, 6));
    }

    @Test
    void l2Normalize() {
        check(t -> Ops.l2Normalize(t[0], -1, 1e-12), randomVariable(27, 3, 4));
        check(t -> Ops.l2Normalize(t[0], 0, 1e-12), randomVariable(28, 3, 4));
    }

    @Test
    void shapeOps() {
        check(t -> Ops.reshape(t[0], 4, -1), randomVariable(29, 2, 3, 4));
        check(t -> Ops.permute(t[0], 2, 0, 1), randomVariable(30, 2, 3, 4));
        check(t -> Ops.transpose(t[0], 0, -1), randomVariable(31, 2, 3, 4));
        check(t -> Ops.contiguous(Ops.permute(t[0], 1, 0)).reshape(-1), randomVariable(32, 3, 4));
        check(t -> Ops.slice(t[0], 1, 1, 3), randomVariable(33, 2, 4, 3));
        check(t -> Ops.concat(1, t[0], t[1], t[0]), randomVariable(34, 2, 2), randomVariable(35, 2, 3));
    }

    @Test
    void indexSelectAndEmbeddingWithRepeatedIds() {
        check(t -> Ops.indexSelect(t[0], new long[] {2, 0, 2, 2}), randomVariable(36, 3, 2, 2));
        var ids = Nd4j.createFromArray(new long[][] {{1, 4, 1}, {0, 1, 4}});
        check(t -> Ops.embedding(t[0], ids), randomVariable(37, 5, 3));
    }

    @Test
    void reductions() {
        check(t -> Ops.sum(t[0], false), randomVariable(38, 2, 3));
        check(t -> Ops.sum(t[0], false, 1), randomVariable(39, 2, 3, 4));
        check(t -> Ops.sum(t[0], true, 0, 2), randomVariable(40, 2, 3, 4));
        check(t -> Ops.mean(t[0], false, -1), randomVariable(41, 2, 3, 4));
        check(t -> Ops.mean(t[0], false), randomVariable(42, 2, 3));
        check(t -> Ops.max(t[0], 1), randomVariable(43, 2, 5, 3));
        check(t -> Ops.max(t[0], -1), randomVariable(44, 4, 6));
    }

    @Test
    void dropoutUsesTheSameMaskBackward() {
        check(t -> Ops.dropout(t[0], 0.3, new Rng(7)), randomVariable(45, 4, 5));
    }

    @Test
    void crossEntropyWithLabelSmoothingAndIgnoredRows() {
        long[] targets = {2, -100, 0, 4, -100};
        check(t -> Ops.crossEntropy(t[0], targets, 0.1, -100), randomVariable(46, 5, 6));
        check(t -> Ops.crossEntropy(t[0], new long[] {1, 3}, 0.0, -100), randomVariable(47, 2, 4));
    }

    @Test
    void composedGraphWithSharedSubexpression() { // a node used by two consumers gets both gradients
        check(t -> {
            Tensor h = Ops.gelu(Ops.linear(t[0], t[1], null));
            return Ops.layerNorm(Ops.add(h, Ops.softmax(h, -1)), t[2], t[3], 1e-12);
        }, randomVariable(48, 3, 4), randomVariable(49, 5, 4), Tensor.variable(Nd4j.ones(DataType.DOUBLE, 5)),
                randomVariable(50, 5));
    }
}
