package org.tiaoyu.qformer.core.autograd;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.DenseArrays;

/**
 * A seeded, counter-based random generator (SplitMix64 over {@code seed + counter}) whose whole state is two longs,
 * so a training run can save it in a checkpoint and resume with the same dropout masks and negative samples.
 */
public final class Rng {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final long seed;
    private long counter;

    public Rng(long seed) {
        this(seed, 0);
    }

    /** Restores a generator from {@link #seed()} and {@link #counter()}. */
    public Rng(long seed, long counter) {
        this.seed = seed;
        this.counter = counter;
    }

    public long seed() {
        return seed;
    }

    /** How many values have been drawn. */
    public long counter() {
        return counter;
    }

    public long nextLong() {
        long z = seed + (++counter) * GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1), 53 bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1), 24 bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /**
     * Fills a dense array with values from N(mean, std²), writing its buffer directly (no per-element INDArray
     * calls), for initialisation and test data.
     */
    public void fillNormal(INDArray target, double mean, double std) {
        requireDense(target);
        long n = target.length();
        if (target.dataType() == DataType.DOUBLE) {
            var buffer = target.data().asNioDouble();
            for (int i = 0; i < n; i++) {
                buffer.put((int) (target.offset() + i), mean + std * nextGaussian());
            }
        } else if (target.dataType() == DataType.FLOAT) {
            var buffer = target.data().asNioFloat();
            for (int i = 0; i < n; i++) {
                buffer.put((int) (target.offset() + i), (float) (mean + std * nextGaussian()));
            }
        } else {
            for (long i = 0; i < n; i++) {
                target.putScalar(i, mean + std * nextGaussian());
            }
        }
    }

    private static void requireDense(INDArray a) {
        if (!DenseArrays.isDenseC(a)) {
            throw new IllegalArgumentException("needs a dense c-order array, got " + a.shapeInfoToString());
        }
    }

    /** Standard normal (Box–Muller; one value per call). */
    public double nextGaussian() {
        double u = 1.0 - nextDouble(); // (0, 1]: log(u) is finite
        double v = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
    }
}
