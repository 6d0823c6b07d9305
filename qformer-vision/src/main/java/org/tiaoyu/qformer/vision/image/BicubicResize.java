package org.tiaoyu.qformer.vision.image;

/**
 * Pillow's {@code Image.resize(size, Image.BICUBIC)} on an RGB image, reproduced bit for bit: the separable
 * resampling of {@code ImagingResample} in Pillow's {@code src/libImaging/Resample.c} ({@code precompute_coeffs},
 * {@code normalize_coeffs_8bpc}, {@code ImagingResampleHorizontal_8bpc}, {@code ImagingResampleVertical_8bpc},
 * {@code ImagingResampleInner}), with the box being the whole image.
 *
 * <ul>
 *   <li>Kernel: Keys' cubic convolution with {@code a = -0.5} and support 2, stretched by the scale factor when
 *       shrinking, so that every input pixel contributes (an antialiasing filter).</li>
 *   <li>Weights are computed in double precision, normalised to sum to one per output pixel, then rounded to
 *       fixed point with {@link #PRECISION_BITS} fractional bits.</li>
 *   <li>The horizontal pass runs first, then the vertical one; each accumulates in a 32-bit integer starting at
 *       one half, and shifts and clips the result to 0..255. A dimension whose size does not change is not
 *       resampled at all.</li>
 * </ul>
 *
 * <p>This is our own Java, written from Pillow's C code, which is under the HPND licence:
 * Copyright © 1997-2011 by Secret Labs AB, Copyright © 1995-2011 by Fredrik Lundh and contributors,
 * Copyright © 2010 by Jeffrey A. Clark and contributors. Permission to use, copy, modify and distribute that
 * software and its documentation for any purpose and without fee is granted, provided that the copyright notice
 * appears in all copies and that both it and this permission notice appear in supporting documentation, and
 * that the name of Secret Labs AB or the author not be used in advertising or publicity pertaining to
 * distribution of the software without specific, written prior permission.
 */
public final class BicubicResize {

    /** Fractional bits of the fixed-point weights: 32 bits, less 8 for the result and 2 for overshoot. */
    static final int PRECISION_BITS = 32 - 8 - 2;

    /** Support of the bicubic kernel at scale 1 ({@code BICUBIC = {bicubic_filter, 2.0}}). */
    private static final double SUPPORT = 2.0;

    private BicubicResize() {
    }

    /**
     * Resizes {@code image} to {@code width x height} as Pillow's BICUBIC filter does.
     *
     * @return a new image, or {@code image} itself when the size is unchanged (Pillow returns a copy)
     */
    public static RgbImage resize(RgbImage image, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
        }
        RgbImage out = image;
        if (width != image.width()) {
            out = horizontal(out, Coefficients.of(image.width(), width));
        }
        if (height != image.height()) {
            out = vertical(out, Coefficients.of(image.height(), height));
        }
        return out;
    }

    /** {@code ImagingResampleHorizontal_8bpc} for three bands. */
    private static RgbImage horizontal(RgbImage in, Coefficients k) {
        int outWidth = k.outSize();
        byte[] src = in.rgb();
        byte[] dst = new byte[outWidth * in.height() * 3];
        for (int y = 0; y < in.height(); y++) {
            int row = y * in.width();
            for (int xx = 0; xx < outWidth; xx++) {
                int xmin = k.start[xx];
                int n = k.count[xx];
                int w0 = xx * k.ksize;
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int x = 0; x < n; x++) {
                    int p = (row + xmin + x) * 3;
                    int w = k.weights[w0 + x];
                    r += (src[p] & 0xff) * w;
                    g += (src[p + 1] & 0xff) * w;
                    b += (src[p + 2] & 0xff) * w;
                }
                int q = (y * outWidth + xx) * 3;
                dst[q] = clip8(r);
                dst[q + 1] = clip8(g);
                dst[q + 2] = clip8(b);
            }
        }
        return new RgbImage(outWidth, in.height(), dst);
    }

    /** {@code ImagingResampleVertical_8bpc} for three bands. */
    private static RgbImage vertical(RgbImage in, Coefficients k) {
        int outHeight = k.outSize();
        int width = in.width();
        byte[] src = in.rgb();
        byte[] dst = new byte[width * outHeight * 3];
        for (int yy = 0; yy < outHeight; yy++) {
            int ymin = k.start[yy];
            int n = k.count[yy];
            int w0 = yy * k.ksize;
            for (int xx = 0; xx < width; xx++) {
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int y = 0; y < n; y++) {
                    int p = ((ymin + y) * width + xx) * 3;
                    int w = k.weights[w0 + y];
                    r += (src[p] & 0xff) * w;
                    g += (src[p + 1] & 0xff) * w;
                    b += (src[p + 2] & 0xff) * w;
                }
                int q = (yy * width + xx) * 3;
                dst[q] = clip8(r);
                dst[q + 1] = clip8(g);
                dst[q + 2] = clip8(b);
            }
        }
        return new RgbImage(width, outHeight, dst);
    }

    /** Pillow's {@code clip8}: drop the fraction bits, then clamp to 0..255 (its lookup table does the clamp). */
    private static byte clip8(int accumulator) {
        return (byte) Math.max(0, Math.min(255, accumulator >> PRECISION_BITS));
    }

    /** Pillow's {@code bicubic_filter}: Keys' cubic convolution kernel with {@code a = -0.5}. */
    static double bicubic(double x) {
        final double a = -0.5;
        x = Math.abs(x);
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    /**
     * The fixed-point weights of one pass ({@code precompute_coeffs} then {@code normalize_coeffs_8bpc}): output
     * pixel {@code i} is the sum over {@code j < count[i]} of input pixel {@code start[i] + j} times
     * {@code weights[i * ksize + j]}, in units of {@code 2^-PRECISION_BITS}.
     */
    record Coefficients(int outSize, int ksize, int[] start, int[] count, int[] weights) {

        static Coefficients of(int inSize, int outSize) {
            // Pillow passes the box edges as C floats; (float) inSize is exact for any size it accepts.
            double scale = (double) (float) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[outSize];
            int[] count = new int[outSize];
            int[] weights = new int[outSize * ksize];
            double[] k = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max(0, (int) (center - support + 0.5)); // (int) truncates, as in C
                int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    k[x] = bicubic((x + xmin - center + 0.5) * ss);
                    ww += k[x];
                }
                for (int x = 0; x < xmax; x++) {
                    double w = ww != 0.0 ? k[x] / ww : k[x];
                    weights[xx * ksize + x] = w < 0
                            ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                            : (int) (0.5 + w * (1 << PRECISION_BITS));
                }
                start[xx] = xmin;
                count[xx] = xmax;
            }
            return new Coefficients(outSize, ksize, start, count, weights);
        }
    }
}
