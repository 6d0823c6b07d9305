package org.tiaoyu.qformer.core.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.tiaoyu.qformer.core.DenseArrays;

/**
 * The differentiable ops (DESIGN §2), in the spirit of {@code torch.nn.functional}: each method computes its forward
 * value with ND4J and hands {@link Tensor#result} the backward function next to it, which captures only the arrays
 * the gradient needs and accumulates into the inputs. Everything else (attention, losses of your own) is built from
 * these. Binary arithmetic broadcasts as NumPy does; axes may be negative.
 */
public final class Ops {

    private static final double SQRT1_2 = Math.sqrt(0.5);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    private Ops() {}

    // ---------------------------------------------------------------- arithmetic (broadcasting)

    public static Tensor add(Tensor a, Tensor b) {
        long[] as = a.shape();
        long[] bs = b.shape();
        return Tensor.result(a.data().add(b.data()), "add", g -> {
            a.accumulateOwnedGrad(reduceTo(g, as));
            b.accumulateGrad(reduceTo(g, bs));
        }, a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        long[] as = a.shape();
        long[] bs = b.shape();
        return Tensor.result(a.data().sub(b.data()), "sub", g -> {
            a.accumulateOwnedGrad(reduceTo(g, as));
            if (b.requiresGrad()) {
                b.accumulateOwnedGrad(reduceTo(g, bs).neg());
            }
        }, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return Tensor.result(a.data().mul(b.data()), "mul", g -> {
            if (a.requiresGrad()) {
                a.accumulateOwnedGrad(reduceTo(g.mul(b.data()), a.shape()));
            }
            if (b.requiresGrad()) {
                b.accumulateOwnedGrad(reduceTo(g.mul(a.data()), b.shape()));
            }
        }, a, b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        INDArray out = a.data().div(b.data());
        return Tensor.result(out, "div", g -> {
            if (a.requiresGrad()) {
                a.accumulateOwnedGrad(reduceTo(g.div(b.data()), a.shape()));
            }
            if (b.requiresGrad()) { // d(a/b)/db = -(a/b)/b
                b.accumulateOwnedGrad(reduceTo(g.mul(out).divi(b.data()).negi(), b.shape()));
            }
        }, a, b);
    }

    public static Tensor mul(Tensor x, double scalar) {
        return Tensor.result(times(x.data(), scalar), "mulScalar", g -> x.accumulateOwnedGrad(times(g, scalar)), x);
    }

    public static Tensor add(Tensor x, double scalar) {
        INDArray out = Double.isNaN(scalar) ? nans(x.data()) : x.data().add(scalar);
        return Tensor.result(out, "addScalar", x::accumulateOwnedGrad, x);
    }

    /** {@code a · s}. ND4J's scalar ops quietly replace a NaN scalar with 1e-5 (its EPS_THRESHOLD); NaN stays NaN. */
    private static INDArray times(INDArray a, double s) {
        return Double.isNaN(s) ? nans(a) : a.mul(s);
    }

    private static INDArray nans(INDArray like) {
        return Nd4j.valueArrayOf(like.shape(), Double.NaN, like.dataType());
    }

    /** Sums {@code g} over the axes along which an input of {@code shape} was broadcast to {@code g}'s shape. */
    static INDArray reduceTo(INDArray g, long[] shape) {
        if (Arrays.equals(g.shape(), shape)) {
            return g;
        }
        int lead = g.rank() - shape.length;
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < g.rank(); i++) {
            if (i < lead || (shape[i - lead] == 1 && g.size(i) != 1)) {
                axes.add(i);
            }
        }
        if (shape.length > 0 && axes.equals(leadingAxes(axes.size()))) { // a bias: sum the leading axes
            return sumRows(g.reshape('c', g.length() / elementCount(shape), elementCount(shape))).reshape(shape);
        }
        INDArray summed = axes.isEmpty() ? g : g.sum(true, axes.stream().mapToInt(Integer::intValue).toArray());
        return shape.length == 0 ? Nd4j.scalar(g.dataType(), summed.sumNumber().doubleValue()) : summed.reshape(shape);
    }

    /**
     * Column sums of a [rows, n] matrix, as one gemm against a row of ones: far faster than ND4J's reduction along
     * axis 0, which bias and LayerNorm gradients need on every step.
     */
    static INDArray sumRows(INDArray m) {
        INDArray ones = Nd4j.ones(m.dataType(), 1, m.size(0));
        INDArray out = Nd4j.createUninitialized(m.dataType(), new long[] {1, m.size(1)}, 'c');
        Nd4j.gemm(ones, m, out, false, false, 1.0, 0.0);
        return out.reshape(m.size(1));
    }

    private static List<Integer> leadingAxes(int count) {
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            axes.add(i);
        }
        return axes;
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    // ---------------------------------------------------------------- elementwise functions

    public static Tensor exp(Tensor x) {
        INDArray y = Transforms.exp(x.data(), true);
        return Tensor.result(y, "exp", g -> x.accumulateOwnedGrad(g.mul(y)), x);
    }

    public static Tensor log(Tensor x) {
        return Tensor.result(Transforms.log(x.data(), true), "log", g -> x.accumulateOwnedGrad(g.div(x.data())), x);
    }

    /**
     * Exact GELU, {@code x·Φ(x) = x·½(1 + erf(x/√2))} (HF's "gelu"; not the tanh approximation). FLOAT runs a fused
     * kernel (Φ to within 1e-7, see {@link FloatKernels}); DOUBLE runs ND4J's exact erf.
     */
    public static Tensor gelu(Tensor x) {
        if (FloatKernels.applies(x.data())) {
            INDArray xd = FloatKernels.dense(x.data());
            INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
            boolean training = Grad.isEnabled() && x.requiresGrad();
            INDArray cdf = training ? Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c') : null; // Φ(x)
            FloatKernels.gelu(xd, y, cdf);
            return Tensor.result(y, "gelu", g -> {
                INDArray g2 = floatGrad(g);
                GradTarget dx = GradTarget.of(x, xd, cdf, g2);
                FloatKernels.geluBackward(xd, cdf, g2, dx.out(), dx.accumulate());
                dx.finish();
            }, x);
        }
        INDArray cdf = Nd4j.getExecutioner().exec(new Erf(x.data().mul(SQRT1_2))).addi(1.0).muli(0.5);
        INDArray y = x.data().mul(cdf);
        return Tensor.result(y, "gelu", g -> { // dy/dx = Φ(x) + x·φ(x)
            INDArray xd = x.data();
            INDArray pdf = Transforms.exp(xd.mul(xd).muli(-0.5), false).muli(INV_SQRT_2PI);
            x.accumulateOwnedGrad(pdf.muli(xd).addi(cdf).muli(g));
        }, x);
    }

    public static Tensor relu(Tensor x) {
        return Tensor.result(Transforms.relu(x.data(), true), "relu",
                g -> x.accumulateOwnedGrad(g.mul(x.data().gt(0.0).castTo(g.dataType()))), x);
    }

    // ---------------------------------------------------------------- matrix products

    /**
     * {@code alpha · op(a) · op(b)} where op transposes the last two axes when asked. Rank 2 runs one BLAS gemm; higher
     * ranks are batched over equal leading axes in one native call. Inputs may be strided views (a permuted
     * [B,T,H,d] as [B,H,T,d]): no copies are made.
     */
    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB, double alpha) {
        INDArray out = mm(a.data(), transA, b.data(), transB, alpha, null, 0.0);
        return Tensor.result(out, "matmul", g -> {
            if (a.requiresGrad()) { // dA = α·g·op(B)ᵀ, or its transpose when A was transposed
                boolean fresh = a.grad() == null;
                INDArray target = a.gradForWrite();
                if (transA) {
                    mm(b.data(), transB, g, true, alpha, target, fresh ? 0.0 : 1.0);
                } else {
                    mm(g, false, b.data(), !transB, alpha, target, fresh ? 0.0 : 1.0);
                }
            }
            if (b.requiresGrad()) { // dB = α·op(A)ᵀ·g, or its transpose when B was transposed
                boolean fresh = b.grad() == null;
                INDArray target = b.gradForWrite();
                if (transB) {
                    mm(g, true, a.data(), transA, alpha, target, fresh ? 0.0 : 1.0);
                } else {
                    mm(a.data(), !transA, g, false, alpha, target, fresh ? 0.0 : 1.0);
                }
            }
        }, a, b);
    }

    /**
     * A linear layer with an HF/PyTorch weight: {@code x · Wᵀ + b}, x [..., in], W [out, in], b [out] or null. One
     * gemm forward and at most three backward, the weight gradient accumulated in place.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        long in = weight.size(1);
        long outFeatures = weight.size(0);
        if (x.size(-1) != in) {
            throw new IllegalArgumentException("linear: input has " + x.size(-1) + " features, weight expects " + in);
        }
        long rows = x.data().length() / in;
        INDArray x2 = x.data().reshape('c', rows, in);
        INDArray y2 = Nd4j.createUninitialized(x.dataType(), new long[] {rows, outFeatures}, 'c');
        Nd4j.gemm(x2, weight.data(), y2, false, true, 1.0, 0.0);
        if (bias != null) {
            y2.addiRowVector(bias.data());
        }
        long[] outShape = x.shape().clone();
        outShape[outShape.length - 1] = outFeatures;
        Tensor[] inputs = bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
        return Tensor.result(y2.reshape(outShape), "linear", g -> {
            INDArray g2 = g.reshape('c', rows, outFeatures);
            if (x.requiresGrad()) {
                INDArray dx = Nd4j.createUninitialized(x.dataType(), new long[] {rows, in}, 'c');
                Nd4j.gemm(g2, weight.data(), dx, false, false, 1.0, 0.0);
                x.accumulateOwnedGrad(dx.reshape(x.shape()));
            }
            if (weight.requiresGrad()) {
                boolean fresh = weight.grad() == null;
                Nd4j.gemm(g2, x2, weight.gradForWrite(), true, false, 1.0, fresh ? 0.0 : 1.0);
            }
            if (bias != null && bias.requiresGrad()) {
                bias.accumulateOwnedGrad(sumRows(g2));
            }
        }, inputs);
    }

    /** {@code out = alpha·op(a)·op(b) + beta·out}; allocates {@code out} when null. */
    private static INDArray mm(INDArray a, boolean ta, INDArray b, boolean tb, double alpha, INDArray out,
            double beta) {
        int r = a.rank();
        if (r < 2 || b.rank() != r) {
            throw new IllegalArgumentException("matmul needs two arrays of equal rank >= 2, got "
                    + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
        }
        long m = a.size(ta ? r - 1 : r - 2);
        long k = a.size(ta ? r - 2 : r - 1);
        long kb = b.size(tb ? r - 1 : r - 2);
        long n = b.size(tb ? r - 2 : r - 1);
        if (k != kb || !Arrays.equals(Arrays.copyOf(a.shape(), r - 2), Arrays.copyOf(b.shape(), r - 2))) {
            throw new IllegalArgumentException("matmul: shapes " + Arrays.toString(a.shape()) + (ta ? "ᵀ" : "")
                    + " and " + Arrays.toString(b.shape()) + (tb ? "ᵀ" : "") + " do not fit");
        }
        if (out == null) {
            long[] shape = Arrays.copyOf(a.shape(), r);
            shape[r - 2] = m;
            shape[r - 1] = n;
            out = Nd4j.createUninitialized(a.dataType(), shape, 'c');
        }
        if (r == 2) {
            Nd4j.gemm(a, b, out, ta, tb, alpha, beta);
        } else {
            Nd4j.exec(new Mmul(a, b, out, alpha, beta, new MMulTranspose(ta, tb, false)));
        }
        return out;
    }

    // ---------------------------------------------------------------- softmax family

    /**
     * Softmax along {@code axis} (ND4J's op, which subtracts the maximum first). For FLOAT over the last axis the
     * backward pass is one fused kernel.
     */
    public static Tensor softmax(Tensor x, int axis) {
        int ax = axis(x, axis);
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape(), 'c');
        INDArray in = x.data();
        if (in.dataType() != DataType.FLOAT) {
            // ND4J's double softmax does not shift by the maximum: a row of large negatives (fully masked) gives 0/0.
            in = in.sub(in.max(true, ax));
        }
        Nd4j.exec(new SoftMax(in, y, ax));
        if (ax == x.rank() - 1 && FloatKernels.applies(y)) {
            int n = (int) x.size(ax);
            return Tensor.result(y, "softmax", g -> { // dx = y ⊙ (g − Σ g⊙y)
                INDArray g2 = floatGrad(g);
                GradTarget dx = GradTarget.of(x, y, g2);
                FloatKernels.softmaxBackward(y, g2, dx.out(), dx.accumulate(), n);
                dx.finish();
            }, x);
        }
        return Tensor.result(y, "softmax", g -> { // dx = y ⊙ (g − Σ g⊙y)
            INDArray dot = g.mul(y).sum(true, ax);
            x.accumulateOwnedGrad(g.sub(dot).muli(y));
        }, x);
    }

    public static Tensor logSoftmax(Tensor x, int axis) {
        int ax = axis(x, axis);
        INDArray y = logSoftmax(x.data(), ax);
        return Tensor.result(y, "logSoftmax", g -> { // dx = g − softmax·Σg
            INDArray total = g.sum(true, ax);
            x.accumulateOwnedGrad(g.sub(Transforms.exp(y, true).muli(total)));
        }, x);
    }

    private static INDArray logSoftmax(INDArray x, int axis) {
        INDArray shifted = x.sub(x.max(true, axis));
        INDArray logSum = Transforms.log(Transforms.exp(shifted, true).sum(true, axis), false);
        return shifted.subi(logSum);
    }

    // ---------------------------------------------------------------- normalisation

    /**
     * LayerNorm over the last axis with the given epsilon (biased variance, as PyTorch). FLOAT runs a fused kernel
     * each way; DOUBLE runs ND4J's ops.
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        long d = x.size(-1);
        if (weight.data().length() != d || bias.data().length() != d) {
            throw new IllegalArgumentException("layerNorm: input has " + d + " features, weight "
                    + weight.data().length() + ", bias " + bias.data().length());
        }
        long rows = x.data().length() / d;
        if (FloatKernels.applies(x.data(), weight.data(), bias.data())) {
            return fusedLayerNorm(x, weight, bias, eps, (int) rows, (int) d);
        }
        INDArray x2 = x.data().reshape('c', rows, d);
        INDArray centered = x2.subColumnVector(x2.mean(true, 1));
        INDArray rstd = Transforms.pow(centered.mul(centered).mean(true, 1).addi(eps), -0.5, false);
        INDArray xhat = centered.muliColumnVector(rstd);
        INDArray y = xhat.mulRowVector(weight.data().reshape(d)).addiRowVector(bias.data().reshape(d));
        return Tensor.result(y.reshape(x.shape()), "layerNorm", g -> {
            INDArray g2 = g.reshape('c', rows, d);
            if (x.requiresGrad()) { // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)), ĝ = g⊙w
                INDArray gh = g2.mulRowVector(weight.data().reshape(d));
                INDArray meanGh = gh.mean(true, 1);
                INDArray meanGhXhat = gh.mul(xhat).mean(true, 1);
                INDArray dx = gh.subiColumnVector(meanGh).subi(xhat.mulColumnVector(meanGhXhat))
                        .muliColumnVector(rstd);
                x.accumulateOwnedGrad(dx.reshape(x.shape()));
            }
            if (weight.requiresGrad()) {
                weight.accumulateOwnedGrad(sumRows(g2.mul(xhat)).reshape(weight.shape()));
            }
            if (bias.requiresGrad()) {
                bias.accumulateOwnedGrad(sumRows(g2).reshape(bias.shape()));
            }
        }, x, weight, bias);
    }

    /** LayerNorm in one fused kernel each way (FLOAT); mean and 1/std per row are kept for the backward pass. */
    private static Tensor fusedLayerNorm(Tensor x, Tensor weight, Tensor bias, double eps, int rows, int d) {
        INDArray x2 = FloatKernels.dense(x.data());
        INDArray w = FloatKernels.dense(weight.data());
        INDArray b = FloatKernels.dense(bias.data());
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
        FloatKernels.Moments moments = FloatKernels.layerNorm(x2, w, b, eps, y, rows, d);
        return Tensor.result(y, "layerNorm", g -> {
            INDArray g2 = floatGrad(g);
            GradTarget dx = x.requiresGrad() ? GradTarget.of(x, x2, g2) : null;
            double[][] sums = FloatKernels.layerNormBackward(x2, w, g2, moments, dx == null ? null : dx.out(),
                    dx != null && dx.accumulate(), weight.requiresGrad(), bias.requiresGrad(), rows, d);
            if (dx != null) {
                dx.finish();
            }
            addColumnSums(weight, sums[0]);
            addColumnSums(bias, sums[1]);
        }, x, weight, bias);
    }

    /** Adds column sums a kernel computed (in double) to a parameter's gradient. */
    private static void addColumnSums(Tensor p, double[] sums) {
        if (sums == null || !p.requiresGrad()) {
            return;
        }
        boolean accumulate = p.grad() != null;
        INDArray target = p.gradForWrite();
        if (target.dataType() == DataType.FLOAT && DenseArrays.isDenseC(target)) {
            FloatKernels.writeSums(sums, target, accumulate);
            return;
        }
        INDArray values = Nd4j.createFromArray(sums).reshape(p.shape()).castTo(target.dataType());
        if (accumulate) {
            target.addi(values);
        } else {
            target.assign(values);
        }
    }

    /** An output gradient as a dense FLOAT array, for the kernels. */
    private static INDArray floatGrad(INDArray g) {
        return FloatKernels.dense(g.dataType() == DataType.FLOAT ? g : g.castTo(DataType.FLOAT));
    }

    /**
     * Where a kernel writes an input's gradient: straight into the input's gradient array (adding to what is there,
     * or overwriting when nothing is), so no temporary is made; through a temporary when that array is not dense
     * FLOAT or shares memory with what the kernel reads.
     */
    private record GradTarget(INDArray target, INDArray out, boolean hadGradient, boolean accumulate) {
        static GradTarget of(Tensor x, INDArray... reads) {
            boolean hadGradient = x.grad() != null;
            INDArray target = x.gradForWrite();
            boolean direct = target.dataType() == DataType.FLOAT && DenseArrays.isDenseC(target);
            for (INDArray read : reads) {
                direct &= !FloatKernels.overlaps(target, read);
            }
            INDArray out = direct ? target : Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
            return new GradTarget(target, out, hadGradient, direct && hadGradient);
        }

        /** Moves the result into the gradient array when it went through a temporary. */
        void finish() {
            if (out == target) {
                return;
            }
            if (hadGradient) {
                target.addi(out);
            } else {
                target.assign(out);
            }
        }
    }

    /** {@code x / max(‖x‖₂, eps)} along {@code axis}, as {@code torch.nn.functional.normalize}. */
    public static Tensor l2Normalize(Tensor x, int axis, double eps) {
        int ax = axis(x, axis);
        INDArray norm = Transforms.sqrt(x.data().mul(x.data()).sum(true, ax), false);
        INDArray denom = Transforms.max(norm, eps, true);
        INDArray y = x.data().div(denom);
        return Tensor.result(y, "l2Normalize", g -> { // dx = (g − y·Σ g⊙y · [‖x‖>eps]) / max(‖x‖, eps)
            INDArray dot = g.mul(y).sum(true, ax).muli(norm.gt(eps).castTo(g.dataType()));
            x.accumulateOwnedGrad(g.sub(y.mul(dot)).divi(denom));
        }, x);
    }

    // ---------------------------------------------------------------- shape and movement

    /** A view when the data is contiguous, else a copy; -1 infers one size. */
    public static Tensor reshape(Tensor x, long... shape) {
        long[] in = x.shape();
        return Tensor.result(x.data().reshape('c', shape), "reshape",
                g -> x.accumulateOwnedGrad(g.reshape('c', in)), x);
    }

    /** A strided view with the axes reordered. */
    public static Tensor permute(Tensor x, int... axes) {
        int[] inverse = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            inverse[axes[i]] = i;
        }
        return Tensor.result(x.data().permute(axes), "permute", g -> x.accumulateGrad(g.permute(inverse)), x);
    }

    public static Tensor transpose(Tensor x, int a, int b) {
        int[] axes = new int[x.rank()];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i;
        }
        axes[axis(x, a)] = axis(x, b);
        axes[axis(x, b)] = axis(x, a);
        return permute(x, axes);
    }

    /** A dense c-order copy (e.g. before a reshape of a permuted view). */
    public static Tensor contiguous(Tensor x) {
        return Tensor.result(x.data().dup('c'), "contiguous", x::accumulateOwnedGrad, x);
    }

    /** The view {@code x[..., start:end, ...]} along {@code axis}. */
    public static Tensor slice(Tensor x, int axis, long start, long end) {
        int ax = axis(x, axis);
        if (start < 0 || end > x.size(ax) || start >= end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") out of range for axis " + ax
                    + " of size " + x.size(ax));
        }
        INDArrayIndex[] index = sliceIndex(x.rank(), ax, start, end);
        return Tensor.result(x.data().get(index), "slice", g -> x.gradZeros().get(index).addi(g), x);
    }

    public static Tensor concat(int axis, Tensor... xs) {
        int ax = axis(xs[0], axis);
        INDArray[] arrays = new INDArray[xs.length];
        for (int i = 0; i < xs.length; i++) {
            arrays[i] = xs[i].data();
        }
        INDArray out = Nd4j.concat(ax, arrays);
        return Tensor.result(out, "concat", g -> {
            long start = 0;
            for (Tensor x : xs) {
                long end = start + x.size(ax);
                x.accumulateGrad(g.get(sliceIndex(g.rank(), ax, start, end)));
                start = end;
            }
        }, xs);
    }

    /**
     * Rows of {@code x} along axis 0: {@code x[ids]}, shape [ids.length, ...]. Repeated ids add their gradients
     * (scatter-add), which is also the embedding lookup's backward.
     */
    public static Tensor indexSelect(Tensor x, long[] ids) {
        long n = x.size(0);
        long rowLength = x.data().length() / Math.max(n, 1);
        int[] rows = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= n) {
                throw new IllegalArgumentException("index " + ids[i] + " out of range [0, " + n + ")");
            }
            rows[i] = (int) ids[i];
        }
        INDArray x2 = x.data().reshape('c', n, rowLength);
        long[] outShape = x.shape().clone();
        outShape[0] = ids.length;
        INDArray out = Nd4j.pullRows(x2, 1, rows).reshape('c', outShape);
        return Tensor.result(out, "indexSelect", g -> scatterAddRows(x.gradZeros(), g, rows, rowLength), x);
    }

    /** {@code target[rows[i]] += source[i]} over rows of {@code rowLength} elements, in one pass over the buffers. */
    private static void scatterAddRows(INDArray target, INDArray source, int[] rows, long rowLength) {
        INDArray src = DenseArrays.isDenseC(source) ? source : source.dup('c');
        int t0 = (int) target.offset();
        int s0 = (int) src.offset();
        int width = (int) rowLength;
        if (target.dataType() == DataType.FLOAT && src.dataType() == DataType.FLOAT) {
            var t = target.data().asNioFloat();
            var s = src.data().asNioFloat();
            for (int i = 0; i < rows.length; i++) {
                int tb = t0 + rows[i] * width;
                int sb = s0 + i * width;
                for (int j = 0; j < width; j++) {
                    t.put(tb + j, t.get(tb + j) + s.get(sb + j));
                }
            }
        } else {
            INDArray target2 = target.reshape('c', target.length() / rowLength, rowLength);
            INDArray src2 = src.reshape('c', rows.length, rowLength);
            for (int i = 0; i < rows.length; i++) {
                target2.getRow(rows[i]).addi(src2.getRow(i));
            }
        }
    }


    /** Embedding lookup: {@code weight[ids]} with shape ids.shape + [dim]; ids is any integer array. */
    public static Tensor embedding(Tensor weight, INDArray ids) {
        long[] outShape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        outShape[ids.rank()] = weight.size(1);
        return reshape(indexSelect(weight, ids.reshape(ids.length()).toLongVector()), outShape);
    }

    // ---------------------------------------------------------------- reductions

    /** Sum over {@code axes} (all axes when none are given, giving a scalar). */
    public static Tensor sum(Tensor x, boolean keepDims, int... axes) {
        long[] in = x.shape();
        if (axes.length == 0) {
            INDArray out = Nd4j.scalar(x.dataType(), x.data().sumNumber().doubleValue());
            return Tensor.result(out, "sum", g -> x.accumulateOwnedGrad(Nd4j.valueArrayOf(in, g.getDouble(0),
                    x.dataType())), x);
        }
        int[] ax = axes(x, axes);
        long[] kept = keptShape(in, ax);
        return Tensor.result(x.data().sum(keepDims, ax), "sum",
                g -> x.accumulateOwnedGrad(g.reshape(kept).broadcast(in)), x);
    }

    public static Tensor mean(Tensor x, boolean keepDims, int... axes) {
        long count = 1;
        if (axes.length == 0) {
            count = x.data().length();
        } else {
            for (int a : axes(x, axes)) {
                count *= x.size(a);
            }
        }
        return mul(sum(x, keepDims, axes), 1.0 / count);
    }

    /** The maximum along {@code axis} (the axis removed); the gradient goes to the first arg-max, as PyTorch. */
    public static Tensor max(Tensor x, int axis) {
        int ax = axis(x, axis);
        int[] last = new int[x.rank()]; // the axes with `ax` moved to the end
        for (int i = 0, j = 0; i < last.length; i++) {
            if (i != ax) {
                last[j++] = i;
            }
        }
        last[last.length - 1] = ax;
        long n = x.size(ax);
        INDArray x2 = x.data().permute(last).dup('c').reshape(x.data().length() / n, n); // [rows, n]
        INDArray values = x2.max(1);
        long[] outShape = new long[x.rank() - 1];
        for (int i = 0; i < outShape.length; i++) {
            outShape[i] = x.size(last[i]);
        }
        return Tensor.result(values.reshape(outShape), "max", g -> {
            INDArray argmax = Nd4j.argMax(x2, 1);
            INDArray g1 = g.reshape('c', new long[] {g.length()});
            INDArray d2 = Nd4j.zeros(x.dataType(), x2.shape());
            for (long r = 0; r < g1.length(); r++) {
                d2.putScalar(r, argmax.getLong(r), g1.getDouble(r));
            }
            long[] permutedShape = Arrays.copyOf(outShape, x.rank());
            permutedShape[x.rank() - 1] = n;
            int[] inverse = new int[last.length];
            for (int i = 0; i < last.length; i++) {
                inverse[last[i]] = i;
            }
            x.accumulateGrad(d2.reshape(permutedShape).permute(inverse));
        }, x);
    }

    // ---------------------------------------------------------------- regularisation and losses

    /**
     * Inverted dropout: zeroes each element with probability {@code p} and scales the rest by 1/(1−p). Call it only
     * in training mode; {@code p = 0} returns {@code x} itself.
     */
    public static Tensor dropout(Tensor x, double p, Rng rng) {
        if (p == 0.0) {
            return x;
        }
        if (p < 0.0 || p >= 1.0) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        INDArray mask = Nd4j.createUninitialized(x.dataType(), x.shape(), 'c');
        fillDropoutMask(mask, p, rng);
        return Tensor.result(x.data().mul(mask), "dropout", g -> x.accumulateOwnedGrad(g.mul(mask)), x);
    }

    /**
     * Writes 0 (probability p) or 1/(1−p) into a fresh dense mask, two elements per 64 random bits (each compared as
     * 32 bits against p·2³²), straight into its buffer.
     */
    private static void fillDropoutMask(INDArray mask, double p, Rng rng) {
        long threshold = (long) (p * 4294967296.0);
        double keep = 1.0 / (1.0 - p);
        int n = (int) mask.length();
        boolean isFloat = mask.dataType() == DataType.FLOAT;
        var floats = isFloat ? mask.data().asNioFloat() : null;
        var doubles = isFloat ? null : mask.data().asNioDouble();
        int base = (int) mask.offset();
        long bits = 0;
        for (int i = 0; i < n; i++) {
            if ((i & 1) == 0) {
                bits = rng.nextLong();
            }
            long u = (i & 1) == 0 ? bits & 0xFFFFFFFFL : bits >>> 32;
            double value = u < threshold ? 0.0 : keep;
            if (isFloat) {
                floats.put(base + i, (float) value);
            } else {
                doubles.put(base + i, value);
            }
        }
    }

    /**
     * Mean cross-entropy of {@code logits} [N, C] against class ids {@code targets} [N], as
     * {@code torch.nn.functional.cross_entropy}: rows whose target is {@code ignoreIndex} count for nothing (the mean
     * is over the others; NaN if there are none), and with label smoothing ε the target distribution is
     * (1−ε)·one-hot + ε/C.
     */
    public static Tensor crossEntropy(Tensor logits, long[] targets, double labelSmoothing, long ignoreIndex) {
        if (logits.rank() != 2 || logits.size(0) != targets.length) {
            throw new IllegalArgumentException("crossEntropy: logits " + Arrays.toString(logits.shape())
                    + " do not fit " + targets.length + " targets");
        }
        int classes = (int) logits.size(1);
        INDArray logProbs = logSoftmax(logits.data(), 1);
        INDArray rowSums = labelSmoothing == 0.0 ? null : logProbs.sum(1);
        double total = 0.0;
        int count = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] == ignoreIndex) {
                continue;
            }
            if (targets[i] < 0 || targets[i] >= classes) {
                throw new IllegalArgumentException("crossEntropy: target " + targets[i] + " out of range [0, "
                        + classes + ")");
            }
            total -= (1.0 - labelSmoothing) * logProbs.getDouble(i, targets[i]);
            if (rowSums != null) {
                total -= labelSmoothing / classes * rowSums.getDouble(i);
            }
            count++;
        }
        int valid = count;
        INDArray loss = Nd4j.scalar(logits.dataType(), total / valid);
        return Tensor.result(loss, "crossEntropy", g -> { // d/dlogits = (softmax − target distribution) / N
            INDArray d = Transforms.exp(logProbs, true).subi(labelSmoothing / classes);
            for (int i = 0; i < targets.length; i++) {
                if (targets[i] == ignoreIndex) {
                    d.getRow(i).assign(0.0);
                } else {
                    d.putScalar(i, targets[i], d.getDouble(i, targets[i]) - (1.0 - labelSmoothing));
                }
            }
            logits.accumulateOwnedGrad(d.muli(g.getDouble(0) / valid));
        }, logits);
    }

    // ---------------------------------------------------------------- helpers

    private static int axis(Tensor x, int axis) {
        int r = x.rank();
        if (axis < -r || axis >= r) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + r);
        }
        return axis < 0 ? axis + r : axis;
    }

    private static int[] axes(Tensor x, int[] axes) {
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = axis(x, axes[i]);
        }
        return out;
    }

    /** {@code shape} with the reduced axes kept as size 1. */
    private static long[] keptShape(long[] shape, int[] axes) {
        long[] kept = shape.clone();
        for (int a : axes) {
            kept[a] = 1;
        }
        return kept;
    }

    private static INDArrayIndex[] sliceIndex(int rank, int axis, long start, long end) {
        INDArrayIndex[] index = new INDArrayIndex[rank];
        for (int i = 0; i < rank; i++) {
            index[i] = i == axis ? NDArrayIndex.interval(start, end) : NDArrayIndex.all();
        }
        return index;
    }

    /** A constant of the given shape filled with {@code value}, for masks and scales. */
    public static Tensor full(DataType type, double value, long... shape) {
        return Tensor.constant(Nd4j.valueArrayOf(shape, value, type));
    }
}
