package org.tiaoyu.qformer.core.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Finite-difference gradient check in double precision: compares {@code backward()} with central differences of a
 * random projection {@code Σ f(x)⊙r} of the output, for every element of every input that requires a gradient.
 * Shared with the other modules through the test jar.
 */
public final class GradCheck {

    private static final double STEP = 1e-6;
    private static final double RELATIVE_TOLERANCE = 1e-5;
    private static final double ABSOLUTE_TOLERANCE = 1e-8;

    private GradCheck() {}

    /** A double-precision leaf with values from N(0, 1), seeded. */
    public static Tensor randomVariable(long seed, long... shape) {
        INDArray a = Nd4j.create(DataType.DOUBLE, shape);
        new Rng(seed).fillNormal(a, 0.0, 1.0);
        return Tensor.variable(a);
    }

    /** Checks every input of {@code f} that requires a gradient. */
    public static void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (Tensor in : inputs) {
            if (in.requiresGrad() && in.dataType() != DataType.DOUBLE) {
                fail("gradient checks run in double precision; input is " + in.dataType());
            }
        }
        Tensor out = f.apply(inputs);
        INDArray projection = projection(out.shape());
        for (Tensor in : inputs) {
            in.zeroGrad();
        }
        out.backward(projection);
        for (int k = 0; k < inputs.length; k++) {
            Tensor in = inputs[k];
            if (!in.requiresGrad()) {
                continue;
            }
            INDArray analytic = in.grad();
            assertNotNull(analytic, "input " + k + " received no gradient");
            INDArray x = in.data();
            for (long i = 0; i < x.length(); i++) {
                double original = x.getDouble(i);
                x.putScalar(i, original + STEP);
                double plus = project(f, inputs, projection);
                x.putScalar(i, original - STEP);
                double minus = project(f, inputs, projection);
                x.putScalar(i, original);
                double numeric = (plus - minus) / (2 * STEP);
                double got = analytic.getDouble(i);
                double tolerance = ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * Math.max(Math.abs(numeric), Math.abs(got));
                if (Math.abs(numeric - got) > tolerance) {
                    fail("input " + k + " " + Arrays.toString(x.shape()) + " element " + i + ": backward gives " + got
                            + ", finite differences " + numeric);
                }
            }
        }
    }

    private static double project(Function<Tensor[], Tensor> f, Tensor[] inputs, INDArray projection) {
        try (var noGrad = Grad.off()) {
            Tensor out = f.apply(inputs);
            assertEquals(Arrays.toString(projection.shape()), Arrays.toString(out.shape()));
            return out.data().mul(projection).sumNumber().doubleValue();
        }
    }

    private static INDArray projection(long[] shape) {
        INDArray r = Nd4j.create(DataType.DOUBLE, shape);
        new Rng(12345).fillNormal(r, 0.0, 1.0);
        return r;
    }
}
