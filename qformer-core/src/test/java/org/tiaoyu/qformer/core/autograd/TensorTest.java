package org.tiaoyu.qformer.core.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class TensorTest {

    @Test
    void noGradModeRecordsNothing() {
        var w = Tensor.variable(Nd4j.rand(DataType.FLOAT, 3, 3));
        Tensor y;
        try (var noGrad = Grad.off()) {
            y = w.matmul(w).gelu();
        }
        assertTrue(Grad.isEnabled(), "the previous state is restored");
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf(), "no graph, so no activations are kept");
        assertThrows(IllegalStateException.class, y::backward);
    }

    @Test
    void scopesNest() {
        try (var off = Grad.off()) {
            try (var on = Grad.on()) {
                assertTrue(Grad.isEnabled());
            }
            assertFalse(Grad.isEnabled());
        }
        assertTrue(Grad.isEnabled());
    }

    @Test
    void frozenLeafGetsNoGradient() {
        var frozen = Tensor.variable(Nd4j.rand(DataType.DOUBLE, 2, 2));
        frozen.setRequiresGrad(false);
        var x = Tensor.variable(Nd4j.rand(DataType.DOUBLE, 2, 2));
        Ops.sum(x.matmul(frozen), false).backward();
        assertNull(frozen.grad());
        assertArrayEquals(new long[] {2, 2}, x.grad().shape());
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        var x = Tensor.variable(Nd4j.createFromArray(1.0, 2.0));
        Ops.sum(x.mul(3.0), false).backward();
        Ops.sum(x.mul(3.0), false).backward();
        assertArrayEquals(new double[] {6, 6}, x.grad().toDoubleVector());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void sameInputTwiceInOneOp() {
        var x = Tensor.variable(Nd4j.createFromArray(1.0, -2.0));
        Ops.sum(x.add(x), false).backward();
        assertArrayEquals(new double[] {2, 2}, x.grad().toDoubleVector());
        x.zeroGrad();
        Ops.sum(x.mul(x), false).backward();
        assertArrayEquals(new double[] {2, -4}, x.grad().toDoubleVector());
    }

    @Test
    void graphIsReleasedAfterBackwardAndASecondWalkThrows() {
        var x = Tensor.variable(Nd4j.createFromArray(1.0, 2.0));
        var loss = Ops.sum(x.exp(), false);
        loss.backward();
        assertFalse(loss.isLeaf(), "a released result is not a leaf");
        var e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().startsWith("backward() through the graph a second time"), e.getMessage());
        assertArrayEquals(new double[] {Math.exp(1), Math.exp(2)}, x.grad().toDoubleVector(), 1e-12);
    }

    /**
     * The defect this guards against: a loss over a subgraph an earlier backward walked used to treat the released
     * nodes as leaves and drop their gradient, so {@code x} silently got nothing from the second loss.
     */
    @Test
    void aSecondLossOverAWalkedSubgraphThrowsAndChangesNothing() {
        var x = Tensor.variable(Nd4j.createFromArray(1.0, 2.0));
        var shared = x.exp();
        Ops.sum(shared, false).backward();
        var second = Ops.sum(shared.mul(2.0), false);
        assertThrows(IllegalStateException.class, second::backward);
        assertArrayEquals(new double[] {Math.exp(1), Math.exp(2)}, x.grad().toDoubleVector(), 1e-12,
                "nothing was accumulated by the refused walk");

        x.zeroGrad();
        var again = x.exp();
        Ops.sum(again, false).add(Ops.sum(again.mul(2.0), false)).backward();   // the way to combine them
        assertArrayEquals(new double[] {3 * Math.exp(1), 3 * Math.exp(2)}, x.grad().toDoubleVector(), 1e-12);
    }

    @Test
    void floatPrecisionWorksToo() {
        var x = Tensor.variable(Nd4j.rand(DataType.FLOAT, 4, 8));
        var w = Tensor.variable(Nd4j.rand(DataType.FLOAT, 6, 8));
        var b = Tensor.variable(Nd4j.rand(DataType.FLOAT, 6));
        Ops.crossEntropy(Ops.linear(x, w, b), new long[] {0, 1, 2, 5}, 0.1, -100).backward();
        assertArrayEquals(new long[] {6, 8}, w.grad().shape());
        assertTrue(w.grad().dataType() == DataType.FLOAT);
    }
}
