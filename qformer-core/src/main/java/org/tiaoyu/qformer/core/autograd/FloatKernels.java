package org.tiaoyu.qformer.core.autograd;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.DenseArrays;

/**
 * Fused fp32 kernels for the ops ND4J is slow at: exact GELU (forward and backward), LayerNorm (forward and
 * backward) and the backward pass of last-axis softmax. They are plain Java loops over the arrays' off-heap memory,
 * split over the cores by {@link Parallel}; each reads its inputs once and writes its output once, through small
 * per-thread scratch arrays (bulk copies of the NIO buffers are cheap, element-by-element buffer access is not), so
 * that HotSpot's auto-vectorizer turns the arithmetic into AVX/AVX-512 code. No Vector API, so no extra JVM flags.
 * Nothing is allocated per element or row: outputs are made by the caller with {@code Nd4j.createUninitialized}
 * (inside the step's {@link Arena} when one is open).
 *
 * <p>Only FLOAT arrays on the CPU backend take this path ({@link #applies}); DOUBLE stays on ND4J's exact ops, which
 * the finite-difference gradient checks use. Arrays that are not dense in c order (permuted views) are copied to c
 * order first. The system property {@code qformer.kernels=false} turns the kernels off (ND4J's ops everywhere).
 *
 * <p>Accuracy (checked against the DOUBLE path in {@code FloatKernelsTest}). HotSpot does not vectorize
 * {@code Math.exp}, so {@link #exp} is Cephes' {@code expf} (range reduction to [−½ln2, ½ln2], a degree-6
 * polynomial; relative error below 1e-7), with the scaling by 2ⁿ done in a short scalar pass. The normal CDF is
 * {@code Φ(x) = ½·erfc(−x/√2)}, erfc from Numerical Recipes' Chebyshev fit ({@code erfcc}: relative error below
 * 1.2e-7 everywhere, measured 1.05e-7, so erf's absolute error is below 8.3e-8 before fp32 rounding), and near 0
 * from erf's Taylor series. Evaluated in fp32, Φ is within 1e-7 of the exact value (measured 9.6e-8; erf within
 * 2e-7, a third of which is Φ's own rounding to fp32), GELU's slope within 1.6e-7, and Φ's negative tail keeps its
 * relative accuracy (1e-5: exp's argument is rounded) where {@code 1 + erf(x)} would cancel. LayerNorm's row
 * statistics add fp32 blocks of eight in double (corrected two-pass mean); its weight gradient is summed in double
 * and its bias gradient with Kahan compensation, so the sums over many rows match a double computation.
 */
final class FloatKernels {

    /** Elements per pass of the elementwise kernels: their scratch arrays stay in the L1 cache. */
    static final int CHUNK = 1024;

    /** Elements per block of rows in the row-wise kernels (at least one row). */
    static final int BLOCK = 2048;

    /** At most this many partial sums of rows in a column-sum reduction (LayerNorm's weight and bias gradients). */
    static final int MAX_SUM_BLOCKS = 64;

    /** Arrays longer than this (bytes past 2 GiB) stay on ND4J's ops: NIO buffers are indexed by int. */
    static final long MAX_LENGTH = (1L << 29) - 1;

    private static final float SQRT1_2 = (float) Math.sqrt(0.5);
    private static final float INV_SQRT_2PI = (float) (1.0 / Math.sqrt(2.0 * Math.PI));
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.428606765330187e-06f;
    /** 1.5·2²³: adding and subtracting it rounds a float below 2²² to the nearest integer. */
    private static final float ROUND = 12582912f;
    /** 2²³ + 127: {@code n + EXPONENT_BITS} (n in [−126, 127]) holds {@code n + 127} in its low bits, 2ⁿ's exponent. */
    private static final float EXPONENT_BITS = 8388735f;

    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("qformer.kernels"));

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private FloatKernels() {}

    // ---------------------------------------------------------------- when the kernels apply

    /** Whether every array is FLOAT, non-empty and short enough, and the backend keeps arrays in host memory. */
    static boolean applies(INDArray... arrays) {
        if (!ENABLED || !Cpu.BACKEND) {
            return false;
        }
        for (INDArray a : arrays) {
            if (a.dataType() != DataType.FLOAT || a.length() == 0 || a.length() > MAX_LENGTH) {
                return false;
            }
        }
        return true;
    }

    /** Looked up on first use, after the backend has been chosen. */
    private static final class Cpu {
        static final boolean BACKEND = Nd4j.getEnvironment().isCPU();
    }

    /** {@code a} itself when dense in c order, else a c-order copy. */
    static INDArray dense(INDArray a) {
        return DenseArrays.isDenseC(a) ? a : a.dup('c');
    }

    /** Whether the memory of two dense arrays overlaps (an output must not be one of the inputs). */
    static boolean overlaps(INDArray a, INDArray b) {
        long aStart = a.data().address() + 4 * a.offset();
        long bStart = b.data().address() + 4 * b.offset();
        return aStart < bStart + 4 * b.length() && bStart < aStart + 4 * a.length();
    }

    /** A dense FLOAT array's memory: element i of its c-order flattening is {@code buffer.get(base + i)}. */
    private record Flat(FloatBuffer buffer, int base) {
        static Flat of(INDArray a) {
            if (!DenseArrays.isDenseC(a)) {
                throw new IllegalArgumentException("kernel array is not dense in c order");
            }
            FloatBuffer buffer = a.data().asNioFloat();
            long base = a.offset();
            if (base < 0 || base + a.length() > buffer.capacity()) {
                throw new IllegalStateException("array of " + a.length() + " elements at offset " + base
                        + " does not fit its buffer of " + buffer.capacity());
            }
            return new Flat(buffer, (int) base);
        }

        void get(int index, float[] into, int length) {
            buffer.get(base + index, into, 0, length);
        }

        void put(int index, float[] from, int length) {
            buffer.put(base + index, from, 0, length);
        }
    }

    // ---------------------------------------------------------------- GELU

    /**
     * {@code y = x·Φ(x)}, and Φ(x) itself into {@code cdf} when it is not null (the backward pass reuses it); all dense
     * and of one length.
     */
    static void gelu(INDArray x, INDArray y, INDArray cdf) {
        Flat in = Flat.of(x);
        Flat out = Flat.of(y);
        Flat cdfOut = cdf == null ? null : Flat.of(cdf);
        int n = (int) x.length();
        Parallel.run(n, Parallel.parts(n, 1), 1, (start, end, part) -> {
            Scratch s = SCRATCH.get();
            float[] xs = s.get(0, CHUNK);
            float[] ys = s.get(1, CHUNK);
            float[] phi = s.get(2, CHUNK);
            float[] e = s.get(3, CHUNK);
            float[] k = s.get(4, CHUNK);
            float[] h = s.get(5, CHUNK);
            for (int i = start; i < end; i += CHUNK) {
                int len = Math.min(CHUNK, end - i);
                in.get(i, xs, len);
                geluChunk(xs, ys, phi, len, e, k, h);
                out.put(i, ys, len);
                if (cdfOut != null) {
                    cdfOut.put(i, phi, len);
                }
            }
        });
    }

    /**
     * The input gradient of GELU, {@code g·(Φ(x) + x·φ(x))} with Φ(x) from the forward pass, written to {@code dx} or,
     * with {@code accumulate}, added to it. All dense and of one length; {@code dx} overlaps none of the inputs.
     */
    static void geluBackward(INDArray x, INDArray cdf, INDArray g, INDArray dx, boolean accumulate) {
        Flat in = Flat.of(x);
        Flat cdfIn = Flat.of(cdf);
        Flat grad = Flat.of(g);
        Flat out = Flat.of(dx);
        int n = (int) x.length();
        Parallel.run(n, Parallel.parts(n, 1), 1, (start, end, part) -> {
            Scratch s = SCRATCH.get();
            float[] xs = s.get(0, CHUNK);
            float[] phi = s.get(1, CHUNK);
            float[] gs = s.get(2, CHUNK);
            float[] ds = s.get(3, CHUNK);
            float[] e = s.get(4, CHUNK);
            float[] k = s.get(5, CHUNK);
            for (int i = start; i < end; i += CHUNK) {
                int len = Math.min(CHUNK, end - i);
                in.get(i, xs, len);
                cdfIn.get(i, phi, len);
                grad.get(i, gs, len);
                if (accumulate) {
                    out.get(i, ds, len);
                }
                geluGradChunk(xs, phi, gs, ds, len, accumulate, e, k);
                out.put(i, ds, len);
            }
        });
    }

    /*
     * The GELU loops are kept short on purpose: HotSpot vectorizes only loops whose body is small (a longer one stays
     * scalar and runs ten times slower), so Φ is computed in several passes over a chunk rather than in one loop.
     */

    /** {@code phi[i] = Φ(x[i])} and {@code y[i] = x[i]·Φ(x[i])} for i < n; e, k, h are scratch of length n. */
    static void geluChunk(float[] x, float[] y, float[] phi, int n, float[] e, float[] k, float[] h) {
        erfcArguments(x, n, e, h);
        exp(e, 0, n, k);
        series(x, phi, n);
        for (int i = 0; i < n; i++) {
            float p = cdf(x[i], tail(x[i], phi[i], h[i] * e[i]));
            phi[i] = p;
            y[i] = x[i] * p;
        }
    }

    /**
     * {@code dx[i] (+)= g[i]·(Φ(x[i]) + x[i]·φ(x[i]))} for i < n, Φ given, {@code φ(x) = exp(−x²/2)/√(2π)}; e, k are
     * scratch of length n.
     */
    static void geluGradChunk(float[] x, float[] phi, float[] g, float[] dx, int n, boolean accumulate, float[] e,
            float[] k) {
        for (int i = 0; i < n; i++) {
            float z = x[i] * SQRT1_2;
            e[i] = -(z * z);
        }
        exp(e, 0, n, k);
        if (accumulate) {
            for (int i = 0; i < n; i++) {
                dx[i] += g[i] * (phi[i] + x[i] * (e[i] * INV_SQRT_2PI));
            }
        } else {
            for (int i = 0; i < n; i++) {
                dx[i] = g[i] * (phi[i] + x[i] * (e[i] * INV_SQRT_2PI));
            }
        }
    }

    /**
     * For {@code z = |x|/√2} and {@code t = 1/(1 + z/2)}: {@code e[i] = −z² + S(t)} (the argument of exp in
     * Numerical Recipes' erfc) and {@code h[i] = t/2}, so that {@code h·exp(e) = ½·erfc(z) = Φ(−|x|)}.
     */
    private static void erfcArguments(float[] x, int n, float[] e, float[] h) {
        for (int i = 0; i < n; i++) {
            float z = Math.abs(x[i]) * SQRT1_2;
            float t = 1f / (1f + 0.5f * z);
            e[i] = erfcExponent(t) - z * z;
            h[i] = 0.5f * t;
        }
    }

    /**
     * {@code S(t)} in Numerical Recipes' {@code erfc(z) = t·exp(−z² + S(t))}, {@code t = 1/(1 + z/2)}, z ≥ 0: a
     * Chebyshev-fitted polynomial (relative error of erfc below 1.2e-7).
     */
    private static float erfcExponent(float t) {
        return -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f
                + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f
                + t * 0.17087277f))))))));
    }

    /**
     * {@code s[i] = ½ − ½·erf(z)}, {@code z = min(|x|/√2, 0.7)}, from erf's Taylor series (9 terms, truncation below
     * 2e-10): {@code Φ(−|x|)} where |x|/√2 < 0.7. Near 0 the erfc fit's fp32 evaluation loses a few ulp (Φ off by up
     * to 2.2e-7); the series does not.
     */
    private static void series(float[] x, float[] s, int n) {
        for (int i = 0; i < n; i++) {
            float z = Math.min(Math.abs(x[i]) * SQRT1_2, 0.7f);
            float z2 = z * z;
            float p = 1.6462114365889246e-06f;
            p = p * z2 - 1.492565035840625e-05f;
            p = p * z2 + 1.2055332981789664e-04f;
            p = p * z2 - 8.548327023450852e-04f;
            p = p * z2 + 5.223977625442188e-03f;
            p = p * z2 - 2.6866170645131252e-02f;
            p = p * z2 + 1.1283791670955126e-01f;
            p = p * z2 - 3.7612638903183754e-01f;
            p = p * z2 + 1.1283791670955126f;
            s[i] = 0.5f - 0.5f * (p * z);
        }
    }

    /** {@code Φ(−|x|)}: from the series below |x|/√2 = 0.7, from erfc above, chosen without a branch. */
    private static float tail(float x, float fromSeries, float fromErfc) {
        float near = Math.min(1f, Math.max(0f, (0.7f - Math.abs(x) * SQRT1_2) * 1e30f)); // 1 below 0.7, else 0
        return near * fromSeries + (1f - near) * fromErfc;
    }

    /**
     * Φ(x) from {@code tail = Φ(−|x|) = ½·erfc(|x|/√2)}: the tail itself for x ≤ 0, {@code 1 − tail} for x > 0,
     * chosen without a branch so the loop vectorizes (NaN stays NaN).
     */
    private static float cdf(float x, float tail) {
        float positive = Math.min(1f, Math.max(0f, x * 1e30f)); // 1 for x > 0 (0 below 1e-30, where tail = ½)
        return tail + positive * (1f - 2f * tail);
    }

    /**
     * {@code a[i] = exp(a[i])} for {@code from ≤ i < to}, for arguments up to 88 (larger ones give exp(88)); results
     * below the normal range (arguments below −87.3) are 0. Cephes' {@code expf}: {@code n = round(a/ln2)},
     * {@code r = a − n·ln2} in two parts, a degree-6 polynomial for {@code e^r} (relative error below 1e-7), all of
     * which vectorizes; then a scalar pass multiplies by 2ⁿ, whose bits it takes from {@code n + 2²³ + 127} (Java 17
     * does not vectorize moves between float and int bits). {@code k} is scratch of length {@code to}.
     */
    static void exp(float[] a, int from, int to, float[] k) {
        for (int i = from; i < to; i++) {
            float x = a[i];
            float v = Math.max(-87.3f, Math.min(88f, x));
            float n = (v * LOG2E + ROUND) - ROUND;
            float r = (v - n * LN2_HI) - n * LN2_LO;
            float p = 1.9875691500e-4f;
            p = p * r + 1.3981999507e-3f;
            p = p * r + 8.3334519073e-3f;
            p = p * r + 4.1665795894e-2f;
            p = p * r + 1.6666665459e-1f;
            p = p * r + 5.0000001201e-1f;
            float normal = Math.min(1f, Math.max(0f, (x + 87.3f) * 1e30f)); // 0 where exp(x) would underflow
            a[i] = (p * r * r + r + 1f) * normal;
            k[i] = n + EXPONENT_BITS;
        }
        for (int i = from; i < to; i++) {
            a[i] *= Float.intBitsToFloat(Float.floatToRawIntBits(k[i]) << 23);
        }
    }

    // ---------------------------------------------------------------- LayerNorm

    /**
     * Per-row statistics LayerNorm's backward pass reuses: the mean as a rough fp32 mean plus a correction (so that
     * {@code x − mean} stays exact for rows far from zero), and {@code 1/√(var + eps)}; and both in double, for the
     * weight and bias gradients.
     */
    record Moments(float[] mean, float[] correction, float[] rstd, double[] exactMean, double[] exactRstd) {}

    /**
     * LayerNorm of the rows of {@code x} ([rows, d], dense) into {@code y} (the same): {@code (x − mean)·rstd·w + b},
     * biased variance, {@code rstd = 1/√(var + eps)}; weight and bias dense, d elements each. The mean is the
     * corrected two-pass one (an fp32 mean, then the mean of what is left), which keeps rows with a large offset
     * accurate.
     */
    static Moments layerNorm(INDArray x, INDArray weight, INDArray bias, double eps, INDArray y, int rows, int d) {
        Flat in = Flat.of(x);
        Flat out = Flat.of(y);
        float[] w = floats(weight);
        float[] b = floats(bias);
        Moments moments = new Moments(new float[rows], new float[rows], new float[rows], new double[rows],
                new double[rows]);
        Parallel.run(rows, Parallel.parts(rows, d), d, (start, end, part) -> {
            Scratch s = SCRATCH.get();
            float[] xs = s.get(0, d);
            float[] ys = s.get(1, d);
            for (int r = start; r < end; r++) {
                in.get(r * d, xs, d);
                layerNormRow(xs, ys, d, w, b, eps, moments, r);
                out.put(r * d, ys, d);
            }
        });
        return moments;
    }

    /*
     * The per-row (and, for softmax, per-block) work lives in methods of its own: HotSpot compiles a method that is
     * called often with its loops vectorized, while the loops of a lambda that runs once per call would stay in the
     * first-tier compiled code. Each row is copied to the start of a scratch array: a loop that stores to
     * {@code a[off + i]} and loads {@code b[i]} is not vectorized (HotSpot cannot rule out that a and b overlap).
     */

    /** LayerNorm of one row (xs, d elements; changed) into ys, keeping its statistics as row {@code row}. */
    static void layerNormRow(float[] xs, float[] ys, int d, float[] w, float[] b, double eps, Moments moments,
            int row) {
        float mean = (float) (preciseSum(xs, 0, d) / d);
        for (int i = 0; i < d; i++) {
            xs[i] -= mean;
        }
        // corrected two-pass: what the rough mean missed, and the variance about the true mean
        double residual = preciseSum(xs, 0, d) / d;
        double var = preciseDot(xs, 0, xs, 0, d) / d - residual * residual;
        float correction = (float) residual;
        double exactRstd = 1.0 / Math.sqrt(Math.max(var, 0.0) + eps);
        float rstd = (float) exactRstd;
        for (int i = 0; i < d; i++) {
            ys[i] = (xs[i] - correction) * rstd * w[i] + b[i];
        }
        moments.mean()[row] = mean;
        moments.correction()[row] = correction;
        moments.rstd()[row] = rstd;
        moments.exactMean()[row] = mean + residual;
        moments.exactRstd()[row] = exactRstd;
    }

    /**
     * LayerNorm's backward pass over [rows, d]: with {@code x̂ = (x − mean)·rstd} and {@code ĝ = g⊙w}, the input
     * gradient {@code rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂))} is written to (or, with {@code accumulate}, added to)
     * {@code dx} when it is not null, and the column sums {@code Σ g⊙x̂} and {@code Σ g} are returned (in
     * {@code sums[0]} and {@code sums[1]}, null when not wanted) for the weight and bias gradients.
     */
    static double[][] layerNormBackward(INDArray x, INDArray weight, INDArray g, Moments moments, INDArray dx,
            boolean accumulate, boolean wantWeight, boolean wantBias, int rows, int d) {
        Flat in = Flat.of(x);
        Flat grad = Flat.of(g);
        Flat out = dx == null ? null : Flat.of(dx);
        float[] w = floats(weight);
        // The weight and bias gradients are sums over all rows. Each block of rows sums its own, and the blocks are
        // added in order: blocks that depend on rows and d alone make the sums the same whichever thread takes which
        // block, so a run repeats bit for bit (per-thread sums, with threads taking chunks as they free up, did not).
        int rowsPerBlock = Math.max(Math.max(1, (int) (Parallel.CHUNK_WORK / (3L * d))),
                (rows + MAX_SUM_BLOCKS - 1) / MAX_SUM_BLOCKS);
        int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
        long blockWork = 3L * d * rowsPerBlock;
        double[][] weightSums = new double[blocks][];
        double[][] biasSums = new double[blocks][];
        Parallel.run(blocks, Parallel.parts(blocks, blockWork), blockWork, (startBlock, endBlock, part) -> {
            Scratch s = SCRATCH.get();
            float[] xs = s.get(0, d);
            float[] gs = s.get(1, d);
            float[] ds = s.get(2, d);
            float[] xh = s.get(3, d);
            float[] gh = s.get(4, d);
            for (int block = startBlock; block < endBlock; block++) {
                double[] dwSum = wantWeight ? new double[d] : null;
                float[] dbSum = wantBias ? new float[d] : null;
                float[] dbComp = wantBias ? new float[d] : null;
                int end = Math.min(rows, (block + 1) * rowsPerBlock);
                for (int r = block * rowsPerBlock; r < end; r++) {
                    in.get(r * d, xs, d);
                    grad.get(r * d, gs, d);
                    if (out != null && accumulate) {
                        out.get(r * d, ds, d);
                    }
                    layerNormGradRow(xs, gs, ds, d, w, xh, gh, moments, r, out != null, accumulate, dwSum, dbSum,
                            dbComp);
                    if (out != null) {
                        out.put(r * d, ds, d);
                    }
                }
                weightSums[block] = dwSum;
                biasSums[block] = wantBias ? compensated(dbSum, dbComp) : null;
            }
        });
        return new double[][] {wantWeight ? total(weightSums, d) : null, wantBias ? total(biasSums, d) : null};
    }

    /**
     * LayerNorm's backward pass for one row (xs, gs; d elements), row {@code row}: the input gradient into ds when
     * {@code wantDx}, and the row's terms added to the column sums that are not null: the weight's in double (its
     * terms {@code g·x̂} carry x̂'s rounding, which fp32 sums over many rows would not average away), the bias's in
     * Kahan-compensated fp32 (sum and compensation arrays). xh and gh are scratch.
     */
    static void layerNormGradRow(float[] xs, float[] gs, float[] ds, int d, float[] w, float[] xh, float[] gh,
            Moments moments, int row, boolean wantDx, boolean accumulate, double[] dwSum, float[] dbSum,
            float[] dbComp) {
        if (wantDx) {
            float mean = moments.mean()[row];
            float correction = moments.correction()[row];
            float rstd = moments.rstd()[row];
            for (int i = 0; i < d; i++) {
                xh[i] = ((xs[i] - mean) - correction) * rstd;
                gh[i] = gs[i] * w[i];
            }
            float meanGh = (float) (preciseSum(gh, 0, d) / d);
            float meanGhXh = (float) (preciseDot(gh, 0, xh, 0, d) / d);
            if (accumulate) {
                for (int i = 0; i < d; i++) {
                    ds[i] += (gh[i] - meanGh - xh[i] * meanGhXh) * rstd;
                }
            } else {
                for (int i = 0; i < d; i++) {
                    ds[i] = (gh[i] - meanGh - xh[i] * meanGhXh) * rstd;
                }
            }
        }
        if (dwSum != null) {
            double exactMean = moments.exactMean()[row];
            double exactRstd = moments.exactRstd()[row];
            for (int i = 0; i < d; i++) {
                dwSum[i] += (double) gs[i] * ((xs[i] - exactMean) * exactRstd);
            }
        }
        if (dbSum != null) { // Kahan-compensated fp32: exact enough for inputs that are exact, and vectorized
            for (int i = 0; i < d; i++) {
                float term = gs[i] - dbComp[i];
                float t = dbSum[i] + term;
                dbComp[i] = (t - dbSum[i]) - term;
                dbSum[i] = t;
            }
        }
    }

    /** Writes (or adds) column sums into a dense FLOAT array of d elements. */
    static void writeSums(double[] sums, INDArray target, boolean accumulate) {
        Flat out = Flat.of(target);
        int d = sums.length;
        float[] values = new float[d];
        if (accumulate) {
            out.get(0, values, d);
        }
        for (int i = 0; i < d; i++) {
            values[i] = accumulate ? (float) (values[i] + sums[i]) : (float) sums[i];
        }
        out.put(0, values, d);
    }

    /** The elements of a dense FLOAT array, in c order. */
    static float[] floats(INDArray a) {
        float[] values = new float[(int) a.length()];
        Flat.of(a).get(0, values, values.length);
        return values;
    }

    /** A Kahan sum's value: the sum less its compensation, in double. */
    private static double[] compensated(float[] sum, float[] compensation) {
        double[] out = new double[sum.length];
        for (int i = 0; i < sum.length; i++) {
            out[i] = (double) sum[i] - compensation[i];
        }
        return out;
    }

    private static double[] total(double[][] parts, int d) {
        double[] total = new double[d];
        for (double[] part : parts) {
            if (part == null) { // not wanted
                continue;
            }
            for (int i = 0; i < d; i++) {
                total[i] += part[i];
            }
        }
        return total;
    }

    // ---------------------------------------------------------------- softmax over the last axis

    /*
     * Softmax rows are often short (64 keys), too short for vectorized loops to pay: the elementwise steps run over a
     * whole block of rows at once, with each row's Σ g⊙y spread over its elements in a scratch row. (The forward pass
     * stays ND4J's native op, which is as fast as a Java kernel can be here: exp does not vectorize fully in Java 17.)
     */

    /**
     * Softmax's input gradient {@code y⊙(g − Σ g⊙y)} per row of n, written to (or, with {@code accumulate}, added to)
     * {@code dx}; all dense and of one length, {@code dx} overlapping neither input.
     */
    static void softmaxBackward(INDArray y, INDArray g, INDArray dx, boolean accumulate, int n) {
        Flat probs = Flat.of(y);
        Flat grad = Flat.of(g);
        Flat out = Flat.of(dx);
        int rows = (int) (y.length() / n);
        int rowsPerBlock = Math.max(1, BLOCK / n);
        Parallel.run(rows, Parallel.parts(rows, 2L * n), n, (start, end, part) -> {
            Scratch s = SCRATCH.get();
            float[] ys = s.get(0, rowsPerBlock * n);
            float[] gs = s.get(1, rowsPerBlock * n);
            float[] ds = s.get(2, rowsPerBlock * n);
            float[] spread = s.get(3, rowsPerBlock * n);
            float[] products = s.get(4, rowsPerBlock * n);
            for (int r = start; r < end; r += rowsPerBlock) {
                int nr = Math.min(rowsPerBlock, end - r);
                int len = nr * n;
                probs.get(r * n, ys, len);
                grad.get(r * n, gs, len);
                if (accumulate) {
                    out.get(r * n, ds, len);
                }
                softmaxGradBlock(ys, gs, ds, spread, products, nr, n, accumulate);
                out.put(r * n, ds, len);
            }
        });
    }

    /**
     * {@code ds (+)= ys⊙(gs − Σ gs⊙ys)} per row, for the nr rows of n; spread and products are scratch of the block's
     * length. Each row's Σ is mostly vectorized: the products, folded four 16-wide slices at a time
     * ({@code spread[i] = p[i] + p[i+16] + p[i+32] + p[i+48]}), leave 16 scalar additions per 64 elements.
     */
    static void softmaxGradBlock(float[] ys, float[] gs, float[] ds, float[] spread, float[] products, int nr, int n,
            boolean accumulate) {
        int len = nr * n;
        int blocks = n / 64; // whole 64-wide pieces of a row
        if (blocks > 0) {
            for (int i = 0; i < len; i++) {
                products[i] = gs[i] * ys[i];
            }
            int folded = (nr - 1) * n + 64 * (blocks - 1) + 16; // past the last row's last folded window
            for (int i = 0; i < folded; i++) {
                spread[i] = (products[i] + products[i + 16]) + (products[i + 32] + products[i + 48]);
            }
        }
        for (int j = 0; j < nr; j++) { // row j's Σ g⊙y from its folded windows (and the rest), spread over the row
            int off = j * n;
            float dot = 0f;
            for (int b = 0; b < blocks; b++) {
                dot += sum16(spread, off + 64 * b);
            }
            if (n > 64 * blocks) {
                dot += dot(gs, off + 64 * blocks, ys, off + 64 * blocks, n - 64 * blocks);
            }
            Arrays.fill(spread, off, off + n, dot);
        }
        if (accumulate) {
            for (int i = 0; i < len; i++) {
                ds[i] += ys[i] * (gs[i] - spread[i]);
            }
        } else {
            for (int i = 0; i < len; i++) {
                ds[i] = ys[i] * (gs[i] - spread[i]);
            }
        }
    }

    // ---------------------------------------------------------------- reductions (HotSpot keeps an fp32 sum in
    // order and so does not vectorize it: several independent chains instead of one)

    /** The sum of a[off .. off + 16), as a tree. */
    private static float sum16(float[] a, int off) {
        return (((a[off] + a[off + 1]) + (a[off + 2] + a[off + 3])) + ((a[off + 4] + a[off + 5])
                + (a[off + 6] + a[off + 7]))) + (((a[off + 8] + a[off + 9]) + (a[off + 10] + a[off + 11]))
                + ((a[off + 12] + a[off + 13]) + (a[off + 14] + a[off + 15])));
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            int p = aOff + i;
            int q = bOff + i;
            s0 += a[p] * b[q];
            s1 += a[p + 1] * b[q + 1];
            s2 += a[p + 2] * b[q + 2];
            s3 += a[p + 3] * b[q + 3];
            s4 += a[p + 4] * b[q + 4];
            s5 += a[p + 5] * b[q + 5];
            s6 += a[p + 6] * b[q + 6];
            s7 += a[p + 7] * b[q + 7];
        }
        float s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /**
     * A sum for statistics that must be accurate whatever the length (LayerNorm's mean and variance over thousands of
     * elements): blocks of eight summed as a tree in fp32, the blocks added in double (two chains, for latency).
     */
    static double preciseSum(float[] a, int off, int n) {
        double s0 = 0.0;
        double s1 = 0.0;
        int i = off;
        int end = off + n;
        for (; i + 16 <= end; i += 16) {
            s0 += ((a[i] + a[i + 1]) + (a[i + 2] + a[i + 3])) + ((a[i + 4] + a[i + 5]) + (a[i + 6] + a[i + 7]));
            s1 += ((a[i + 8] + a[i + 9]) + (a[i + 10] + a[i + 11]))
                    + ((a[i + 12] + a[i + 13]) + (a[i + 14] + a[i + 15]));
        }
        for (; i < end; i++) {
            s0 += a[i];
        }
        return s0 + s1;
    }

    /** {@link #preciseSum} of the products {@code a[aOff + i]·b[bOff + i]}. */
    static double preciseDot(float[] a, int aOff, float[] b, int bOff, int n) {
        double s0 = 0.0;
        double s1 = 0.0;
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            int p = aOff + i;
            int q = bOff + i;
            s0 += ((a[p] * b[q] + a[p + 1] * b[q + 1]) + (a[p + 2] * b[q + 2] + a[p + 3] * b[q + 3]))
                    + ((a[p + 4] * b[q + 4] + a[p + 5] * b[q + 5]) + (a[p + 6] * b[q + 6] + a[p + 7] * b[q + 7]));
            s1 += ((a[p + 8] * b[q + 8] + a[p + 9] * b[q + 9]) + (a[p + 10] * b[q + 10] + a[p + 11] * b[q + 11]))
                    + ((a[p + 12] * b[q + 12] + a[p + 13] * b[q + 13])
                    + (a[p + 14] * b[q + 14] + a[p + 15] * b[q + 15]));
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return s0 + s1;
    }

    /** Per-thread scratch arrays, grown on demand and kept. */
    private static final class Scratch {
        private final float[][] arrays = new float[8][];

        float[] get(int slot, int size) {
            float[] a = arrays[slot];
            if (a == null || a.length < size) {
                a = new float[size];
                arrays[slot] = a;
            }
            return a;
        }
    }
}
