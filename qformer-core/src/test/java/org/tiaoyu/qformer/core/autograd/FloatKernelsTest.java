package org.tiaoyu.qformer.core.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erfc;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.DenseArrays;

/**
 * The fused fp32 kernels against the DOUBLE path (ND4J's exact ops, which the finite-difference checks cover): forward
 * values and every input's gradient within 1e-6 absolute + 1e-6 relative, on random data, odd sizes (rows that do not
 * split evenly over the threads, width 1, rows wider than a block), non-contiguous inputs and accumulated gradients.
 */
class FloatKernelsTest {

    private static final double TOLERANCE = 1e-6;

    // ---------------------------------------------------------------- GELU

    @Test
    void geluMatchesDoubleOnRandomDataAndOddShapes() {
        assertTrue(FloatKernels.applies(Nd4j.zeros(DataType.FLOAT, 2)), "the fast path is on in these tests");
        matchesDouble(t -> Ops.gelu(t[0]), 1, random(1, 3.0, 37, 1031)); // two threads, uneven split
        matchesDouble(t -> Ops.gelu(t[0]), 2, random(2, 2.0, 5, 1));
        matchesDouble(t -> Ops.gelu(t[0]), 3, random(3, 2.0, 1));
        matchesDouble(t -> Ops.gelu(t[0]), 4, random(4, 2.0, 3, 1025, 2)); // chunks that do not divide
        float[] specials = {0f, -0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.5f, -0.5f, 1f, -1f, 2.3f, -2.3f, 3.3f, -3.3f,
            5.5f, -5.5f, 8f, -8f, 12f, -12f, 50f, -50f};
        matchesDouble(t -> Ops.gelu(t[0]), 5, Nd4j.createFromArray(specials));
    }

    @Test
    void geluOfPermutedViewsAndGradientsThatAccumulate() {
        // a permuted (non-contiguous) input, and an interior input used twice: the second gradient is added in place
        matchesDouble(t -> Ops.gelu(t[0].permute(2, 0, 1)), 6, random(6, 2.0, 7, 9, 600));
        matchesDouble(t -> {
            Tensor x = t[0].mul(1.5);
            return Ops.add(Ops.gelu(x), Ops.gelu(x).mul(-0.75));
        }, 7, random(7, 2.0, 41, 999));
    }

    @Test
    void geluAccuracy() {
        // Φ through Numerical Recipes' erfc (relative error < 1.2e-7) and, near 0, erf's series: in fp32 within 1e-7 of
        // the exact value everywhere (erf within 2e-7), the negative tail accurate relative to its size (no
        // 1 + erf(x) cancellation), and GELU's slope Φ + x·φ within 2e-7
        int n = 400_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (-10.0 + 20.0 * i / (n - 1));
        }
        float[] y = new float[n];
        float[] phi = new float[n];
        FloatKernels.geluChunk(x, y, phi, n, new float[n], new float[n], new float[n]);
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        float[] slope = new float[n];
        FloatKernels.geluGradChunk(x, phi, ones, slope, n, false, new float[n], new float[n]);
        INDArray erfc = Nd4j.getExecutioner().exec(new Erfc(Nd4j.createFromArray(x).castTo(DataType.DOUBLE)
                .muli(-Math.sqrt(0.5))));
        double worstCdf = 0;
        double worstTail = 0;
        double worstSlope = 0;
        for (int i = 0; i < n; i++) {
            double cdf = 0.5 * erfc.getDouble(i); // Φ(x) = ½·erfc(−x/√2), accurate in both tails
            worstCdf = Math.max(worstCdf, Math.abs(phi[i] - cdf));
            if (x[i] < -3f && x[i] > -8f) {
                worstTail = Math.max(worstTail, Math.abs(phi[i] / cdf - 1.0));
            }
            double exactSlope = cdf + x[i] * Math.exp(-0.5 * x[i] * x[i]) / Math.sqrt(2.0 * Math.PI);
            worstSlope = Math.max(worstSlope, Math.abs(slope[i] - exactSlope));
            assertEquals((float) (x[i] * phi[i]), y[i], "y = x·Φ(x)");
        }
        assertTrue(worstCdf < 1e-7, "Φ error " + worstCdf);
        assertTrue(worstTail < 1e-5, "relative error in the negative tail " + worstTail); // exp's argument is rounded
        assertTrue(worstSlope < 2e-7, "slope error " + worstSlope);
    }

    @Test
    void expIsAccurateToAFewUlp() {
        int n = 100_001;
        float[] a = new float[n];
        float[] args = new float[n];
        for (int i = 0; i < n; i++) {
            args[i] = (float) (-87.0 + 175.0 * i / (n - 1));
        }
        System.arraycopy(args, 0, a, 0, n);
        FloatKernels.exp(a, 0, n, new float[n]);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double exact = Math.exp(args[i]);
            worst = Math.max(worst, Math.abs(a[i] - exact) / exact);
        }
        assertTrue(worst < 2.5e-7, "relative error " + worst);
        float[] edges = {-200f, -87.31f, Float.NEGATIVE_INFINITY, Float.NaN, 0f};
        FloatKernels.exp(edges, 0, edges.length, new float[edges.length]);
        assertEquals(0f, edges[0]);
        assertEquals(0f, edges[1]);
        assertEquals(0f, edges[2]);
        assertTrue(Float.isNaN(edges[3]));
        assertEquals(1f, edges[4]);
    }

    // ---------------------------------------------------------------- LayerNorm

    @Test
    void layerNormMatchesDoubleOnRandomDataAndOddShapes() {
        // rows that do not split evenly, more than one flush of the fp32 column sums, width 1, rows wider than a block
        matchesDouble(t -> Ops.layerNorm(t[0], t[1], t[2], 1e-12), 10, random(10, 3.0, 131, 257).addi(1.0),
                random(11, 0.5, 257).addi(1.0), random(12, 0.5, 257));
        matchesDouble(t -> Ops.layerNorm(t[0], t[1], t[2], 1e-5), 13, random(13, 3.0, 17, 3001),
                random(14, 0.5, 3001).addi(1.0), random(15, 0.5, 3001));
        matchesDouble(t -> Ops.layerNorm(t[0], t[1], t[2], 0.5), 16, random(16, 1.0, 5, 1), random(17, 1.0, 1),
                random(18, 1.0, 1));
        matchesDouble(t -> Ops.layerNorm(t[0], t[1], t[2], 1e-6), 19, random(19, 2.0, 2, 3, 7),
                random(20, 1.0, 7), random(21, 1.0, 7));
        // rows far from zero: the corrected mean keeps x − mean exact
        matchesDouble(t -> Ops.layerNorm(t[0], t[1], t[2], 1e-12), 22, random(22, 1.0, 9, 768).addi(300.0),
                random(23, 0.5, 768).addi(1.0), random(24, 0.5, 768));
    }

    @Test
    void layerNormOfPermutedViewsFrozenParametersAndAccumulation() {
        matchesDouble(t -> Ops.layerNorm(t[0].permute(1, 0, 2).reshape(-1, 96), t[1], t[2], 1e-12), 30,
                random(30, 2.0, 50, 7, 96), random(31, 0.5, 96), random(32, 0.5, 96));
        matchesDouble(t -> Ops.layerNorm(t[0].transpose(0, 1), t[1], t[2], 1e-12), 33, random(33, 2.0, 300, 64),
                random(34, 0.5, 300), random(35, 0.5, 300));
        matchesDouble(t -> { // an interior input normalised twice, the parameters used twice
            Tensor x = t[0].mul(2.0);
            return Ops.add(Ops.layerNorm(x, t[1], t[2], 1e-6), Ops.layerNorm(x, t[1], t[2], 1e-6).mul(0.5));
        }, 36, random(36, 1.0, 80, 500), random(37, 0.5, 500), random(38, 0.5, 500));

        // gradients for some inputs only: x constant, weight frozen
        INDArray x = random(39, 1.0, 300, 130);
        INDArray w = random(40, 0.5, 130);
        INDArray b = random(41, 0.5, 130);
        INDArray g = random(42, 1.0, 300, 130);
        Tensor[] f = {Tensor.constant(x), Tensor.constant(w), Tensor.variable(b.dup())};
        Tensor[] d = {Tensor.constant(x.castTo(DataType.DOUBLE)), Tensor.constant(w.castTo(DataType.DOUBLE)),
            Tensor.variable(b.castTo(DataType.DOUBLE))};
        Ops.layerNorm(f[0], f[1], f[2], 1e-12).backward(g);
        Ops.layerNorm(d[0], d[1], d[2], 1e-12).backward(g.castTo(DataType.DOUBLE));
        assertClose("bias gradient", d[2].grad(), f[2].grad());
    }

    /**
     * The weight and bias gradients are sums over rows taken by several threads; they come out the same to the bit on
     * every call, however the threads happen to share the rows (a resumed training run depends on it).
     */
    @Test
    void layerNormParameterGradientsRepeatBitForBit() throws InterruptedException {
        int rows = 4099;
        int d = 96;
        INDArray x = random(50, 1.0, rows, d);
        INDArray g = random(51, 1.0, rows, d);
        INDArray w = random(52, 0.5, d);
        FloatKernels.Moments moments = FloatKernels.layerNorm(x, w, random(53, 0.5, d), 1e-12,
                Nd4j.create(DataType.FLOAT, rows, d), rows, d);
        // Threads that keep every core busy during some calls: the kernel's helpers then take other shares of rows.
        AtomicBoolean busy = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> spinners = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            Thread spinner = new Thread(() -> {
                while (!done.get()) {
                    if (!busy.get()) {
                        LockSupport.parkNanos(100_000);
                    }
                }
            });
            spinner.setDaemon(true);
            spinner.start();
            spinners.add(spinner);
        }
        double[][] first = null;
        for (int call = 0; call < 40; call++) {
            busy.set(call % 2 == 1);
            double[][] sums = FloatKernels.layerNormBackward(x, w, g, moments, null, false, true, true, rows, d);
            if (first == null) {
                first = sums;
            } else {
                assertArrayEquals(first[0], sums[0], "weight gradient, call " + call);
                assertArrayEquals(first[1], sums[1], "bias gradient, call " + call);
            }
        }
        done.set(true);
        for (Thread t : spinners) {
            t.join();
        }
    }

    // ---------------------------------------------------------------- softmax

    @Test
    void softmaxMatchesDoubleOnRandomDataAndOddShapes() {
        // the forward pass is ND4J's op, as before; the fused backward pass is what is new
        matchesDouble(t -> Ops.softmax(t[0], -1), 50, random(50, 3.0, 3, 7, 11, 143)); // uneven rows and blocks
        matchesDouble(t -> Ops.softmax(t[0], -1), 51, random(51, 3.0, 5, 12, 64, 64)); // attention scores
        matchesDouble(t -> Ops.softmax(t[0], 2), 52, random(52, 3.0, 2, 3, 1)); // width 1
        matchesDouble(t -> Ops.softmax(t[0], 0), 53, random(53, 3.0, 9)); // rank 1
        matchesDouble(t -> Ops.softmax(t[0], 1), 54, random(54, 3.0, 4, 5, 6)); // not the last axis: ND4J's ops
    }

    @Test
    void softmaxBackwardKernelMatchesDouble() {
        // the kernel alone, against y⊙(g − Σ g⊙y) in double from the same fp32 y and g: rows narrower and wider than
        // a block, not multiples of 64 or 16, one element; overwriting and adding
        for (int[] shape : new int[][] {{20, 2500}, {33, 130}, {7, 64}, {5, 65}, {4, 17}, {6, 1}, {3, 4096}}) {
            int rows = shape[0];
            int n = shape[1];
            INDArray y = Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax(
                    random(60 + n, 3.0, rows, n), Nd4j.create(DataType.FLOAT, rows, n), 1))[0];
            INDArray g = random(61 + n, 1.0, rows, n);
            INDArray yd = y.castTo(DataType.DOUBLE);
            INDArray gd = g.castTo(DataType.DOUBLE);
            INDArray expected = gd.sub(gd.mul(yd).sum(true, 1)).muli(yd);
            INDArray dx = Nd4j.create(DataType.FLOAT, rows, n);
            FloatKernels.softmaxBackward(y, g, dx, false, n);
            assertClose("softmax gradient " + rows + "x" + n, expected, dx);
            INDArray start = random(62 + n, 1.0, rows, n);
            INDArray sum = start.dup();
            FloatKernels.softmaxBackward(y, g, sum, true, n);
            assertClose("accumulated softmax gradient " + rows + "x" + n, expected.add(start.castTo(DataType.DOUBLE)),
                    sum);
        }
    }

    @Test
    void softmaxIsStableAndHandlesViewsMasksAndAccumulation() {
        INDArray logits = random(60, 3.0, 4, 3, 64, 64);
        for (int i = 0; i < 64; i++) { // an additive causal mask, and one very large logit per row
            for (int j = 0; j < 64; j++) {
                if (j > i) {
                    logits.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.point(j))
                            .addi(-10000.0);
                }
            }
            logits.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.point(0))
                    .addi(1000.0 * (i % 2));
        }
        matchesDouble(t -> Ops.softmax(t[0], -1), 60, logits);
        matchesDouble(t -> Ops.softmax(t[0].permute(0, 2, 1), -1), 61, random(61, 3.0, 6, 40, 300));
        matchesDouble(t -> {
            Tensor x = t[0].mul(0.5);
            return Ops.add(Ops.softmax(x, -1), Ops.softmax(x, -1).mul(3.0));
        }, 62, random(62, 3.0, 8, 12, 64, 64));
        var y = Ops.softmax(Tensor.constant(Nd4j.createFromArray(new float[][] {{1000f, 0f}, {-1e4f, -1e4f}})), -1);
        assertArrayEquals(new float[] {1f, 0f, 0.5f, 0.5f}, y.data().reshape(4).toFloatVector());
    }

    // ---------------------------------------------------------------- the machinery

    @Test
    void outputsLiveInTheArenaAndLeafGradientsOutside() {
        Tensor x = Tensor.variable(random(70, 1.0, 64, 512));
        Tensor w = Tensor.variable(random(71, 1.0, 512));
        Tensor b = Tensor.variable(random(72, 1.0, 512));
        for (int step = 0; step < 2; step++) {
            try (var arena = Arena.open("kernels-test")) {
                Tensor h = Ops.layerNorm(Ops.gelu(x), w, b, 1e-12);
                Tensor p = Ops.softmax(h, -1);
                assertTrue(h.data().isAttached() && p.data().isAttached(), "outputs come from the arena");
                x.zeroGrad();
                w.zeroGrad();
                b.zeroGrad();
                p.backward(random(73, 1.0, 64, 512));
            }
            assertFalse(x.grad().isAttached());
            assertFalse(w.grad().isAttached());
            assertFalse(b.grad().isAttached());
            assertTrue(Double.isFinite(x.grad().sumNumber().doubleValue()));
        }
    }

    @Test
    void gradientsAccumulateIntoLeavesAcrossBackwardCalls() {
        INDArray x = random(80, 2.0, 33, 1001);
        INDArray g = random(81, 1.0, 33, 1001);
        Tensor once = Tensor.variable(x.dup());
        Ops.gelu(once).backward(g);
        Tensor twice = Tensor.variable(x.dup());
        Ops.gelu(twice).backward(g);
        Ops.gelu(twice).backward(g);
        assertClose("twice the gradient", once.grad().castTo(DataType.DOUBLE).mul(2.0), twice.grad());
    }

    @Test
    void partsCoverTheRangeAndFailuresSurface() {
        for (int count : new int[] {1, 2, 3, 7, 100, 101}) {
            for (int parts = 1; parts <= 4; parts++) {
                assertEquals(0, Parallel.bound(count, parts, 0));
                assertEquals(count, Parallel.bound(count, parts, parts));
                for (int p = 0; p < parts; p++) {
                    int size = Parallel.bound(count, parts, p + 1) - Parallel.bound(count, parts, p);
                    assertTrue(size == count / parts || size == count / parts + 1);
                }
            }
        }
        int parts = Math.max(2, Parallel.THREADS);
        int[] seen = new int[100_001];
        Parallel.run(seen.length, parts, 1, (start, end, part) -> {
            for (int i = start; i < end; i++) {
                seen[i]++;
            }
        });
        assertTrue(Arrays.stream(seen).allMatch(c -> c == 1), "every index exactly once");
        AtomicInteger calls = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.run(100_000, parts, 1,
                (start, end, part) -> {
                    calls.incrementAndGet();
                    throw new IllegalStateException("chunk at " + start);
                }));
        assertTrue(e.getMessage().startsWith("chunk at"));
        assertTrue(calls.get() <= parts, "no chunk is handed out after a failure");
    }

    @Test
    void overlapIsDetected() {
        INDArray a = Nd4j.create(DataType.FLOAT, 10, 4);
        INDArray rows = a.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all());
        INDArray other = a.get(NDArrayIndex.interval(5, 10), NDArrayIndex.all());
        assertTrue(DenseArrays.isDenseC(rows));
        assertTrue(FloatKernels.overlaps(a, rows));
        assertFalse(FloatKernels.overlaps(rows, other));
        assertFalse(DenseArrays.isDenseC(a.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3))));
        // a row slice with an offset is read at the right place
        INDArray values = Nd4j.arange(40).castTo(DataType.FLOAT).reshape(10, 4);
        assertArrayEquals(new float[] {8, 9, 10, 11, 12, 13, 14, 15}, FloatKernels.floats(values.get(
                NDArrayIndex.interval(2, 4), NDArrayIndex.all())));
    }

    // ---------------------------------------------------------------- helpers

    /** Normal values times {@code scale}, FLOAT, c order. */
    private static INDArray random(long seed, double scale, long... shape) {
        Random random = new Random(seed);
        long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] values = new float[(int) n];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return Nd4j.create(values, shape, 'c');
    }

    /**
     * Runs {@code f} on FLOAT variables and on DOUBLE variables holding the same values, back-propagates the same
     * random output gradient through both, and compares the outputs and every input's gradient.
     */
    private static void matchesDouble(Function<Tensor[], Tensor> f, long seed, INDArray... inputs) {
        Tensor[] floats = new Tensor[inputs.length];
        Tensor[] doubles = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            floats[i] = Tensor.variable(inputs[i].dup());
            doubles[i] = Tensor.variable(inputs[i].castTo(DataType.DOUBLE));
        }
        Tensor yf = f.apply(floats);
        Tensor yd = f.apply(doubles);
        assertEquals(DataType.FLOAT, yf.dataType());
        assertClose("output", yd.data(), yf.data());
        INDArray g = random(seed + 1000, 1.0, yf.shape());
        yf.backward(g);
        yd.backward(g.castTo(DataType.DOUBLE));
        for (int i = 0; i < inputs.length; i++) {
            assertClose("gradient of input " + i, doubles[i].grad(), floats[i].grad());
        }
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double[] e = expected.castTo(DataType.DOUBLE).dup('c').reshape(expected.length()).toDoubleVector();
        double[] a = actual.castTo(DataType.DOUBLE).dup('c').reshape(actual.length()).toDoubleVector();
        for (int i = 0; i < e.length; i++) {
            double allowed = TOLERANCE + TOLERANCE * Math.abs(e[i]);
            if (!(Math.abs(a[i] - e[i]) <= allowed)) {
                fail(what + " differs at flat index " + i + " of " + Arrays.toString(expected.shape()) + ": expected "
                        + e[i] + ", got " + a[i] + " (allowed " + allowed + ")");
            }
        }
    }
}
