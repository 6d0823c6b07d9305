package org.tiaoyu.qformer.vision;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * HF's {@code interpolate_pos_encoding}: the patch position embeddings, a square grid, resized to another image's
 * patch grid with PyTorch's {@code interpolate(mode="bicubic", align_corners=False)} — source coordinate
 * {@code (dst + 0.5)·in/out − 0.5}, cubic convolution with A = −0.75, edge indices clamped — while the class
 * token's position is kept. Written as a product with a constant interpolation matrix, so gradients reach the
 * embeddings when the tower is trained.
 */
final class PositionInterpolation {

    private static final double A = -0.75;

    private PositionInterpolation() {}

    /**
     * @param positions [N0+1, D] or [1, N0+1, D] with N0 a square
     * @return [1, gridH·gridW + 1, D]
     */
    static Tensor resize(Tensor positions, int gridH, int gridW) {
        long d = positions.size(-1);
        long rows = positions.size(-2);
        int side = (int) Math.round(Math.sqrt(rows - 1));
        if ((long) side * side != rows - 1) {
            throw new IllegalArgumentException("position embeddings for " + (rows - 1)
                    + " patches are not a square grid and cannot be resized");
        }
        Tensor flat = positions.reshape(rows, d);
        INDArray weights = kron(matrix(side, gridH), matrix(side, gridW));         // [gridH·gridW, side²]
        Tensor patches = Ops.matmul(Tensor.constant(weights.castTo(positions.dataType())),
                flat.slice(0, 1, rows), false, false, 1.0);                        // [gridH·gridW, D]
        return Ops.concat(0, flat.slice(0, 0, 1), patches).reshape(1, (long) gridH * gridW + 1, d);
    }

    /** The 1-D bicubic resampling matrix [out, in] of PyTorch's kernel. */
    static double[][] matrix(int in, int out) {
        double[][] m = new double[out][in];
        double scale = (double) in / out;
        for (int dst = 0; dst < out; dst++) {
            double src = scale * (dst + 0.5) - 0.5;
            int i0 = (int) Math.floor(src);
            double t = src - i0;
            double[] c = {far(t + 1), near(t), near(1 - t), far(2 - t)};
            for (int k = 0; k < 4; k++) {
                m[dst][Math.min(Math.max(i0 - 1 + k, 0), in - 1)] += c[k];
            }
        }
        return m;
    }

    private static double near(double x) { // |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    }

    private static double far(double x) { // 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }

    /** The Kronecker product: row (i·W + j), column (k·S + l) = h[i][k]·w[j][l] (row-major grids). */
    private static INDArray kron(double[][] h, double[][] w) {
        int side = h[0].length;
        double[][] out = new double[h.length * w.length][side * side];
        for (int i = 0; i < h.length; i++) {
            for (int j = 0; j < w.length; j++) {
                for (int k = 0; k < side; k++) {
                    for (int l = 0; l < side; l++) {
                        out[i * w.length + j][k * side + l] = h[i][k] * w[j][l];
                    }
                }
            }
        }
        return Nd4j.createFromArray(out);
    }
}
