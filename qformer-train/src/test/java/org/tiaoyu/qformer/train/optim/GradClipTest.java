package org.tiaoyu.qformer.train.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

class GradClipTest {

    /** A parameter whose gradient is {@code grad}: d/dp sum(p · grad). */
    private static Tensor withGrad(double... grad) {
        Tensor p = Tensor.variable(Nd4j.zeros(DataType.DOUBLE, grad.length));
        Ops.sum(Ops.mul(p, Tensor.constant(Nd4j.createFromArray(grad))), false).backward();
        return p;
    }

    @Test
    void scalesEveryGradientByMaxNormOverTheTotal() {
        Tensor a = withGrad(3, 4);   // norm 5
        Tensor b = withGrad(12);     // norm 12: total √(25 + 144) = 13
        Tensor none = Tensor.variable(Nd4j.ones(DataType.DOUBLE, 2));
        double total = GradClip.clipGlobalNorm(List.of(a, b, none), 6.5);
        assertEquals(13.0, total, 1e-12);
        double coef = 6.5 / (13.0 + 1e-6);
        assertArrayEquals(new double[] {3 * coef, 4 * coef}, a.grad().toDoubleVector(), 1e-15);
        assertArrayEquals(new double[] {12 * coef}, b.grad().toDoubleVector(), 1e-15);
        assertNull(none.grad());
        INDArray both = Nd4j.concat(0, a.grad(), b.grad());
        assertEquals(6.5, both.norm2Number().doubleValue(), 1e-6);
    }

    @Test
    void leavesGradientsBelowTheLimitAlone() {
        Tensor a = withGrad(3, 4);
        assertEquals(5.0, GradClip.clipGlobalNorm(List.of(a), 5.1), 1e-12);
        assertArrayEquals(new double[] {3, 4}, a.grad().toDoubleVector());
    }

    @Test
    void likePyTorchItAlsoTouchesATotalWithinOneMillionthOfTheLimit() {
        Tensor a = withGrad(3, 4);
        GradClip.clipGlobalNorm(List.of(a), 5.0); // coefficient 5 / (5 + 1e-6), just under 1
        assertArrayEquals(new double[] {3 * 5 / (5 + 1e-6), 4 * 5 / (5 + 1e-6)}, a.grad().toDoubleVector(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(List.of(a), 0));
    }
}
