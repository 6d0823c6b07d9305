package org.tiaoyu.qformer.core.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.NativeBackend;

/**
 * An {@link INDArray} with a gradient and a link to the op that made it: the value type of the eager reverse-mode
 * autodiff (DESIGN §2). Ops live in {@link Ops}; the instance methods here are shortcuts to them so that model code
 * reads top to bottom ({@code x.add(y).layerNorm(w, b, eps)}).
 *
 * <p>While {@link Grad#isEnabled()} and one of an op's inputs requires a gradient, the op's result keeps its inputs
 * and a backward function; {@link #backward()} walks that graph in reverse topological order, accumulating into the
 * inputs' gradients (micrograd's scheme). Otherwise the result keeps nothing, so inference holds no activations.
 * Gradients are kept on leaves only (parameters and inputs created with {@link #variable}); the graph is released
 * as backward passes through it, so a second backward through the same nodes throws, as PyTorch's does without
 * {@code retain_graph} (a released node must not pass for a leaf and swallow the gradient). To combine losses that
 * share a graph, add them and call backward once; gradient accumulation runs a new forward pass per micro-batch.
 */
public final class Tensor {

    static {
        NativeBackend.configure(); // before ND4J loads: the right native build for this CPU (a wrong one crashes)
    }

    /** Receives the gradient of the loss with respect to an op's output and passes it on to the op's inputs. */
    @FunctionalInterface
    interface Backward {
        void apply(INDArray gradOutput);
    }

    private INDArray data;
    private INDArray grad;       // kept across zeroGrad() so a step reuses its memory
    private boolean gradValid;   // whether grad holds a gradient (false after zeroGrad)
    private boolean requiresGrad;
    private Tensor[] inputs;
    private Backward backward;
    private boolean released;    // an op's result whose graph a backward pass has walked and let go
    private final String op;

    private Tensor(INDArray data, boolean requiresGrad, String op) {
        this.data = data;
        this.requiresGrad = requiresGrad;
        this.op = op;
    }

    /** A tensor that never receives a gradient (inputs, masks, frozen weights). */
    public static Tensor constant(INDArray data) {
        return new Tensor(data, false, "constant");
    }

    /** A leaf that receives a gradient: a trainable parameter or an input whose gradient is wanted. */
    public static Tensor variable(INDArray data) {
        return new Tensor(data, true, "variable");
    }

    /**
     * The result of an op. It records {@code inputs} and {@code backward} only when gradients are on and some input
     * needs one; the backward function then may assume the output's gradient has the output's shape.
     */
    static Tensor result(INDArray data, String op, Backward backward, Tensor... inputs) {
        boolean track = false;
        if (Grad.isEnabled()) {
            for (Tensor input : inputs) {
                track |= input.requiresGrad;
            }
        }
        Tensor out = new Tensor(data, track, op);
        if (track) {
            out.inputs = inputs;
            out.backward = backward;
        }
        return out;
    }

    public INDArray data() {
        return data;
    }

    /** The accumulated gradient of a leaf, or null if none has arrived (or it requires none). */
    public INDArray grad() {
        return gradValid ? grad : null;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Freezes (false) or unfreezes (true) a leaf; a frozen leaf drops its gradient and receives none. */
    public void setRequiresGrad(boolean requiresGrad) {
        if (!isLeaf()) {
            throw new IllegalStateException("only a leaf tensor can be frozen or unfrozen, not the output of " + op);
        }
        this.requiresGrad = requiresGrad;
        if (!requiresGrad) {
            grad = null;
            gradValid = false;
        }
    }

    public boolean isLeaf() {
        return backward == null && !released;
    }

    /** Replaces a leaf's value (e.g. when loading a checkpoint); the shape may not change. */
    public void setData(INDArray newData) {
        if (!Arrays.equals(newData.shape(), data.shape())) {
            throw new IllegalArgumentException("shape " + Arrays.toString(newData.shape())
                    + " does not match " + Arrays.toString(data.shape()));
        }
        data = newData;
    }

    /** Forgets the gradient; the array is kept and overwritten by the next backward pass. */
    public void zeroGrad() {
        gradValid = false;
    }

    /** The same values, cut off from the graph. */
    public Tensor detach() {
        return constant(data);
    }

    public long[] shape() {
        return data.shape();
    }

    public int rank() {
        return data.rank();
    }

    /** Size of a dimension; negative counts from the end. */
    public long size(int dim) {
        return data.size(dim < 0 ? dim + data.rank() : dim);
    }

    public DataType dataType() {
        return data.dataType();
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (data.length() != 1) {
            throw new IllegalStateException("item() needs one element, shape is " + Arrays.toString(shape()));
        }
        return data.getDouble(0);
    }

    /** Backpropagates from a one-element tensor (a loss). */
    public void backward() {
        if (data.length() != 1) {
            throw new IllegalStateException("backward() without a gradient needs a one-element tensor, shape is "
                    + Arrays.toString(shape()) + "; pass the output gradient instead");
        }
        backward(Nd4j.ones(data.dataType(), data.shape()));
    }

    /** Backpropagates {@code gradOutput} (the output's shape) through the recorded graph. */
    public void backward(INDArray gradOutput) {
        if (released) {
            throw releasedGraph(this);
        }
        if (!requiresGrad) {
            throw new IllegalStateException("nothing to differentiate: this tensor (" + op
                    + ") does not depend on anything that requires a gradient, or was made with gradients off");
        }
        List<Tensor> order = topologicalOrder();
        accumulateGrad(gradOutput);
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            INDArray g = t.grad();
            t.grad = null; // interior gradients are not kept
            t.gradValid = false;
            Backward step = t.backward;
            t.backward = null;
            t.inputs = null;
            t.released = true;
            if (g != null) {
                step.apply(g);
            }
        }
    }

    /** Interior (non-leaf) nodes reachable from this one, each after all of its inputs. */
    private List<Tensor> topologicalOrder() {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Tensor> stack = new ArrayDeque<>();
        ArrayDeque<Integer> next = new ArrayDeque<>();
        if (isLeaf()) {
            return order;
        }
        stack.push(this);
        next.push(0);
        visited.add(this);
        while (!stack.isEmpty()) {
            Tensor t = stack.peek();
            int i = next.pop();
            if (i < t.inputs.length) {
                next.push(i + 1);
                Tensor in = t.inputs[i];
                if (in.released) {
                    throw releasedGraph(in);
                }
                if (!in.isLeaf() && visited.add(in)) {
                    stack.push(in);
                    next.push(0);
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    private static IllegalStateException releasedGraph(Tensor t) {
        return new IllegalStateException("backward() through the graph a second time: " + t
                + " was released by an earlier backward pass; add the losses and call backward() once, or run the"
                + " forward pass again");
    }

    /** Adds {@code g} (this tensor's shape) to the gradient; {@code g} is copied, so the caller may reuse it. */
    void accumulateGrad(INDArray g) {
        if (!requiresGrad) {
            return;
        }
        if (gradValid) {
            grad.addi(g);
        } else {
            buffer().assign(g);
            gradValid = true;
        }
    }

    /**
     * Like {@link #accumulateGrad} but an interior node may keep {@code g} itself, avoiding a copy: for arrays the op
     * just computed, or the output gradient it received when this input is its only consumer of it. A leaf always
     * copies into its own array, which outlives the step's {@link Arena}.
     */
    void accumulateOwnedGrad(INDArray g) {
        if (!requiresGrad) {
            return;
        }
        if (!gradValid && !isLeaf() && g.ordering() == 'c' && !g.isView()) {
            grad = g;
            gradValid = true;
        } else {
            accumulateGrad(g);
        }
    }

    /**
     * The gradient array for an op to write into directly (a matrix product with beta). Check {@code grad() == null}
     * first: then overwrite (beta 0), else add (beta 1).
     */
    INDArray gradForWrite() {
        INDArray out = buffer();
        gradValid = true;
        return out;
    }

    /** The gradient array, zeroed when it held no gradient, for ops that add into part of it (slices, scatter). */
    INDArray gradZeros() {
        if (!gradValid) {
            buffer().assign(0);
            gradValid = true;
        }
        return grad;
    }

    /** The gradient array, made on first use: a leaf's outside any {@link Arena}, an interior node's inside. */
    private INDArray buffer() {
        if (grad == null) {
            if (isLeaf()) {
                try (var outside = Arena.outside()) {
                    grad = Nd4j.createUninitialized(data.dataType(), data.shape(), 'c');
                }
            } else {
                grad = Nd4j.createUninitialized(data.dataType(), data.shape(), 'c');
            }
        }
        return grad;
    }

    @Override
    public String toString() {
        return "Tensor(" + op + ", " + data.dataType() + Arrays.toString(shape())
                + (requiresGrad ? ", requiresGrad" : "") + ")";
    }

    // ---- shortcuts to Ops, so model code reads left to right ----

    public Tensor add(Tensor other) { return Ops.add(this, other); }
    public Tensor sub(Tensor other) { return Ops.sub(this, other); }
    public Tensor mul(Tensor other) { return Ops.mul(this, other); }
    public Tensor div(Tensor other) { return Ops.div(this, other); }
    public Tensor mul(double scalar) { return Ops.mul(this, scalar); }
    public Tensor add(double scalar) { return Ops.add(this, scalar); }
    public Tensor neg() { return Ops.mul(this, -1.0); }
    public Tensor exp() { return Ops.exp(this); }
    public Tensor log() { return Ops.log(this); }
    public Tensor gelu() { return Ops.gelu(this); }
    public Tensor relu() { return Ops.relu(this); }
    public Tensor softmax(int axis) { return Ops.softmax(this, axis); }
    public Tensor logSoftmax(int axis) { return Ops.logSoftmax(this, axis); }
    public Tensor matmul(Tensor other) { return Ops.matmul(this, other, false, false, 1.0); }
    public Tensor reshape(long... shape) { return Ops.reshape(this, shape); }
    public Tensor permute(int... axes) { return Ops.permute(this, axes); }
    public Tensor transpose(int a, int b) { return Ops.transpose(this, a, b); }
    public Tensor slice(int axis, long start, long end) { return Ops.slice(this, axis, start, end); }
    public Tensor sum(int... axes) { return Ops.sum(this, false, axes); }
    public Tensor mean(int... axes) { return Ops.mean(this, false, axes); }
    public Tensor max(int axis) { return Ops.max(this, axis); }
}
