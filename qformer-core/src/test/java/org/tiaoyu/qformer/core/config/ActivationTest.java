package org.tiaoyu.qformer.core.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.GradCheck;
import org.tiaoyu.qformer.core.autograd.Tensor;

class ActivationTest {

    private static final double[] X = {-3.0, -0.5, 0.0, 1.0, 2.5};

    private static double[] apply(Activation a) {
        return a.apply(Tensor.constant(Nd4j.createFromArray(X))).data().toDoubleVector();
    }

    @Test
    void valuesMatchTheirDefinitions() { // the definitions in HF's activations.py, evaluated in Java's Math
        double[] quick = new double[X.length];
        double[] silu = new double[X.length];
        double[] geluNew = new double[X.length];
        for (int i = 0; i < X.length; i++) {
            double x = X[i];
            quick[i] = x / (1 + Math.exp(-1.702 * x));
            silu[i] = x / (1 + Math.exp(-x));
            geluNew[i] = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        }
        assertArrayEquals(quick, apply(Activation.QUICK_GELU), 1e-12);
        assertArrayEquals(silu, apply(Activation.SILU), 1e-12);
        assertArrayEquals(geluNew, apply(Activation.GELU_NEW), 1e-12);
        assertArrayEquals(new double[] {0, 0, 0, 1, 2.5}, apply(Activation.RELU), 0);
    }

    @Test
    void composedActivationsHaveCorrectGradients() {
        for (Activation a : Activation.values()) {
            GradCheck.check(t -> a.apply(t[0]), GradCheck.randomVariable(a.ordinal(), 3, 5));
        }
    }
}
