package org.tiaoyu.qformer.core.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Forward values against independently computed numbers (the gradient checks only test consistency). */
class OpsForwardTest {

    /** ND4J turns a NaN scalar into 1e-5 in {@code mul(double)} and {@code add(double)}; the ops must not. */
    @Test
    void aNanScalarGivesNan() {
        var x = Tensor.variable(Nd4j.createFromArray(1f, 2f, 3f));
        Tensor y = x.mul(Double.NaN);
        assertTrue(Double.isNaN(y.data().getDouble(0)) && Double.isNaN(y.data().getDouble(2)), y.data().toString());
        assertTrue(Double.isNaN(x.add(Double.NaN).data().getDouble(1)));
        Ops.sum(y, false).backward();
        assertTrue(Double.isNaN(x.grad().getDouble(0)), "and so is the gradient");
        assertEquals(6.0, x.mul(2.0).data().getDouble(2), 0.0);
    }

    @Test
    void geluIsTheExactErfForm() { // torch.nn.functional.gelu(x), approximate='none'
        var x = Tensor.constant(Nd4j.createFromArray(-3.0, -0.5, 0.0, 1.0, 2.5));
        // x·½(1 + erf(x/√2)) with Python's math.erf
        double[] expected = {-0.00404969409489031, -0.15426876936299344, 0.0, 0.8413447460685429, 2.4844758366855597};
        assertArrayEquals(expected, Ops.gelu(x).data().toDoubleVector(), 1e-9);
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        var x = Tensor.constant(Nd4j.createFromArray(new float[][] {{1000f, 0f}, {-10000f, -10000f}}));
        assertArrayEquals(new double[] {1, 0, 0.5, 0.5}, Ops.softmax(x, -1).data().reshape(4).toDoubleVector(), 1e-6);
        var logp = Ops.logSoftmax(x, -1).data();
        assertEquals(-1000.0, logp.getDouble(0, 1), 1e-3);
        // A fully masked attention row (every score about -1e9) in double precision: ND4J alone gives 0/0 there.
        var masked = Tensor.constant(Nd4j.createFromArray(new double[][] {{0.5 - 1e9, -1e9}, {2, 1}}));
        double[] p = Ops.softmax(masked, -1).data().reshape(4).toDoubleVector();
        assertArrayEquals(new double[] {0.6225, 0.3775, 0.7311, 0.2689}, p, 1e-4);
    }

    @Test
    void layerNormUsesTheGivenEpsilon() {
        var x = Tensor.constant(Nd4j.createFromArray(new double[][] {{1, 2, 3, 4}}));
        var w = Tensor.constant(Nd4j.ones(DataType.DOUBLE, 4));
        var b = Tensor.constant(Nd4j.zeros(DataType.DOUBLE, 4));
        double eps = 0.5; // variance 1.25; a fixed native epsilon would show here
        double inv = 1.0 / Math.sqrt(1.25 + eps);
        assertArrayEquals(new double[] {-1.5 * inv, -0.5 * inv, 0.5 * inv, 1.5 * inv},
                Ops.layerNorm(x, w, b, eps).data().reshape(4).toDoubleVector(), 1e-12);
    }

    @Test
    void crossEntropyMatchesPyTorchWithSmoothingAndIgnoreIndex() {
        // PyTorch's definition: mean over the non-ignored rows of −(1−ε)·log p[target] − ε/C·Σ log p
        var logits = Tensor.constant(Nd4j.createFromArray(new double[][] {{1, 2, 3}, {0, 0, 0}, {3, 1, -1}}));
        double row0 = -(0.9 * logp(new double[] {1, 2, 3}, 2)) - 0.1 / 3 * sumLogp(new double[] {1, 2, 3});
        double row2 = -(0.9 * logp(new double[] {3, 1, -1}, 1)) - 0.1 / 3 * sumLogp(new double[] {3, 1, -1});
        double loss = Ops.crossEntropy(logits, new long[] {2, -100, 1}, 0.1, -100).item();
        assertEquals((row0 + row2) / 2, loss, 1e-12);
        assertEquals(1.3252687964721401, loss, 1e-12); // the same formula evaluated in Python
    }

    private static double logp(double[] z, int k) {
        double m = Math.max(z[0], Math.max(z[1], z[2]));
        double s = 0;
        for (double v : z) {
            s += Math.exp(v - m);
        }
        return z[k] - m - Math.log(s);
    }

    private static double sumLogp(double[] z) {
        return logp(z, 0) + logp(z, 1) + logp(z, 2);
    }

    @Test
    void l2NormalizeAndMax() {
        var x = Tensor.constant(Nd4j.createFromArray(new double[][] {{3, 4}, {0, 0}}));
        assertArrayEquals(new double[] {0.6, 0.8, 0, 0}, Ops.l2Normalize(x, 1, 1e-12).data().reshape(4)
                .toDoubleVector(), 1e-12);
        var y = Tensor.constant(Nd4j.createFromArray(new double[][] {{1, 7, 3}, {9, 2, 5}}));
        assertArrayEquals(new double[] {7, 9}, Ops.max(y, 1).data().toDoubleVector());
        assertArrayEquals(new double[] {9, 7, 5}, Ops.max(y, 0).data().toDoubleVector());
    }

    @Test
    void reshapeOfViewsAndConcat() {
        var x = Tensor.constant(Nd4j.arange(12).castTo(DataType.DOUBLE).reshape(3, 4));
        var t = Ops.contiguous(Ops.transpose(x, 0, 1)).reshape(12);
        assertArrayEquals(new double[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.data().toDoubleVector());
        var c = Ops.concat(0, Ops.slice(x, 0, 2, 3), Ops.slice(x, 0, 0, 1));
        assertArrayEquals(new double[] {8, 9, 10, 11, 0, 1, 2, 3}, c.data().reshape(8).toDoubleVector());
    }

    @Test
    void dropoutKeepsTheExpectedFractionAndScales() {
        var x = Tensor.constant(Nd4j.ones(DataType.FLOAT, 100, 100));
        var y = Ops.dropout(x, 0.25, new Rng(3)).data();
        double kept = y.gt(0).castTo(DataType.DOUBLE).sumNumber().doubleValue() / 10000;
        assertEquals(0.75, kept, 0.02);
        assertEquals(1.0 / 0.75, y.maxNumber().doubleValue(), 1e-6);
        assertEquals(Ops.dropout(x, 0.25, new Rng(3)).data(), y, "same seed, same mask");
    }

    @Test
    void badShapesAreClearErrors() {
        var a = Tensor.constant(Nd4j.zeros(DataType.FLOAT, 2, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> Ops.matmul(a, a, false, false, 1.0));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Ops.indexSelect(a, new long[] {2}));
        assertThrows(IllegalArgumentException.class, () -> Ops.crossEntropy(a, new long[] {0, 3}, 0, -100));
    }
}
