package org.tiaoyu.qformer.eval;

import java.util.List;

/**
 * {@code numpy.mean} of a float64 vector, summed in numpy's order (pairwise summation with eight accumulators in
 * blocks of up to 128 numbers, {@code pairwise_sum} in numpy's {@code loops_utils.h}), then divided by the count,
 * so that corpus means come out bit for bit as pycocoevalcap's.
 */
final class PairwiseMean {

    private static final int BLOCK = 128;

    private PairwiseMean() {
    }

    static double of(List<Double> values) {
        double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
        return sum(a, 0, a.length) / a.length;
    }

    private static double sum(double[] a, int from, int n) {
        if (n < 8) {
            double s = 0;
            for (int i = from; i < from + n; i++) {
                s += a[i];
            }
            return s;
        }
        if (n <= BLOCK) {
            double[] r = new double[8];
            System.arraycopy(a, from, r, 0, 8);
            int i = 8;
            for (; i < n - n % 8; i += 8) {
                for (int j = 0; j < 8; j++) {
                    r[j] += a[from + i + j];
                }
            }
            double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) {
                s += a[from + i];
            }
            return s;
        }
        int half = n / 2;
        half -= half % 8;
        return sum(a, from, half) + sum(a, from + half, n - half);
    }
}
