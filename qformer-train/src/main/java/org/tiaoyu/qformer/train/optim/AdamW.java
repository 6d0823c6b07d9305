package org.tiaoyu.qformer.train.optim;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.DenseArrays;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * {@code torch.optim.AdamW} (decoupled weight decay, Loshchilov &amp; Hutter 2019), with the parameter groups LAVIS
 * builds for BLIP-2: one group with weight decay, one without (see {@link #appliesWeightDecay}).
 *
 * <p>Each {@link #step()}, for every parameter {@code p} with a gradient {@code g} (PyTorch's single-tensor update,
 * in this order; {@code t} counts the parameter's own steps):
 * <pre>
 * p  = p · (1 − lr·wd)                         decoupled weight decay, before the Adam update
 * m  = lerp(m, g, 1 − β1)                      exp_avg
 * v  = v·β2 + (1 − β2)·g·g                     exp_avg_sq
 * p  = p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * </pre>
 * FLOAT parameters are updated in float arithmetic with the scalars rounded to float, as PyTorch's CPU kernels do;
 * DOUBLE parameters in double. Per-parameter rates: {@link #setLrScale}. Not supported: {@code amsgrad},
 * {@code maximize}.
 *
 * <p>The moments live outside every {@link org.tiaoyu.qformer.core.autograd.Arena}, allocated once here, and a
 * step allocates nothing parameter-sized: it is one pass over the arrays' native buffers. Measured for a 3072×768
 * FLOAT parameter on the 2-core development machine (best of 30 steps): the same update as a dozen in-place ND4J
 * calls ({@code muli}, {@code axpy}, in-place {@code sqrt}, {@code rdivi}, through one preallocated scratch array)
 * 12–19 ms; this single pass 6.9 ms on one thread and 3.6 ms split over both cores, which is what it does. On the
 * machine under load from other processes the single pass stayed 2–5× ahead.
 *
 * <pre>{@code
 * AdamW optimizer = AdamW.forModule(model, AdamW.Options.lavisStage1());
 * for (int step = 0; step < steps; step++) {
 *     optimizer.setLr(schedule.lr(step));   // as LAVIS sets param_group["lr"] before each step
 *     try (var arena = Arena.open("train")) {
 *         model.loss(batch(step)).backward();
 *     }
 *     GradClip.clipGlobalNorm(model.trainableParameters().values(), 1.0); // if wanted
 *     optimizer.step();
 *     optimizer.zeroGrad();
 * }
 * }</pre>
 */
public final class AdamW {

    /** Elements below which a parameter is updated on the calling thread alone. */
    private static final int PARALLEL_THRESHOLD = 1 << 15;
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    /**
     * The hyperparameters, checked as {@code torch.optim.AdamW} checks them.
     *
     * @param lr learning rate; the schedule usually overrides it with {@link #setLr} before each step
     * @param beta1 decay of the first moment, in [0, 1)
     * @param beta2 decay of the second moment, in [0, 1)
     * @param eps added to the bias-corrected √v
     * @param weightDecay the decoupled decay of the decaying group (the other group gets 0)
     */
    public record Options(double lr, double beta1, double beta2, double eps, double weightDecay) {

        public Options {
            require(lr >= 0, "learning rate must be >= 0, got " + lr);
            require(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got " + beta1);
            require(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got " + beta2);
            require(eps >= 0, "eps must be >= 0, got " + eps);
            require(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
        }

        /**
         * LAVIS's BLIP-2 stage 1: {@code init_lr: 1e-4} and {@code weight_decay: 0.05} from
         * {@code lavis/projects/blip2/train/pretrain_stage1.yaml}; betas {@code (0.9, beta2)} with {@code beta2}
         * defaulting to 0.999 in {@code RunnerBase.optimizer} ({@code lavis/runners/runner_base.py}); eps is
         * PyTorch's default 1e-8, which LAVIS does not override.
         */
        public static Options lavisStage1() {
            return new Options(1e-4, 0.9, 0.999, 1e-8, 0.05);
        }

        public Options withLr(double lr) {
            return new Options(lr, beta1, beta2, eps, weightDecay);
        }

        public Options withBetas(double beta1, double beta2) {
            return new Options(lr, beta1, beta2, eps, weightDecay);
        }

        public Options withEps(double eps) {
            return new Options(lr, beta1, beta2, eps, weightDecay);
        }

        public Options withWeightDecay(double weightDecay) {
            return new Options(lr, beta1, beta2, eps, weightDecay);
        }
    }

    /** A parameter group as in {@code optimizer.param_groups}: its weight decay and its parameters' names. */
    public record ParamGroup(double weightDecay, List<String> names) {
        public ParamGroup {
            names = List.copyOf(names);
        }
    }

    /** One parameter and its moments ({@code optimizer.state[p]}). */
    private static final class ParamState {
        final String name;
        final Tensor param;
        final boolean decays;
        final double weightDecay; // options.weightDecay() when it decays, else 0
        final INDArray expAvg;   // same shape and type as the parameter, C order, outside every arena
        final INDArray expAvgSq;
        long step;               // this parameter's own count, as PyTorch's state["step"]
        double lrScale = 1.0;    // its rate is lr · lrScale (layer-wise decay); weight decay scales with it

        ParamState(String name, Tensor param, boolean decays, double weightDecay) {
            this.name = name;
            this.param = param;
            this.decays = decays;
            this.weightDecay = decays ? weightDecay : 0.0;
            try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                this.expAvg = Nd4j.zeros(param.dataType(), param.shape());
                this.expAvgSq = Nd4j.zeros(param.dataType(), param.shape());
            }
        }
    }

    private final Options options;
    private final List<ParamState> states = new ArrayList<>();
    private double lr;

    /**
     * An optimizer over {@code params} (name → parameter, as {@link Module#trainableParameters()} gives them), split
     * into a decaying and a non-decaying group by {@link #appliesWeightDecay}. A tensor listed under a second name
     * is skipped, as {@code named_parameters()} skips shared parameters.
     *
     * @throws IllegalArgumentException if a parameter is not FLOAT or DOUBLE, or not a dense C-order array
     */
    public AdamW(Map<String, Tensor> params, Options options) {
        this.options = options;
        this.lr = options.lr();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        params.forEach((name, p) -> {
            if (seen.add(p)) {
                checkUpdatable(name, p.data());
                states.add(new ParamState(name, p, appliesWeightDecay(name, p.shape()), options.weightDecay()));
            }
        });
    }

    /** An optimizer over the module's trainable (not frozen) parameters. */
    public static AdamW forModule(Module module, Options options) {
        return new AdamW(module.trainableParameters(), options);
    }

    /**
     * LAVIS's rule, {@code BaseModel.get_optimizer_params} ({@code lavis/models/base_model.py}; earlier versions
     * had it inline in {@code RunnerBase.optimizer}, {@code lavis/runners/runner_base.py}): no weight decay for
     * {@code p.ndim < 2 or "bias" in n or "ln" in n or "bn" in n}. HF's spellings of LayerNorm ({@code LayerNorm}, {@code layernorm}, {@code layer_norm}) are excluded by
     * name as well; in BLIP-2 they are all one-dimensional, so this changes nothing for its parameters. Note that
     * {@code Blip2Base.get_optimizer_params} ({@code lavis/models/blip2_models/blip2.py}) uses another rule when the
     * ViT is EVA ViT-g, {@code len(p.shape) == 1 or n.endswith(".bias")}, which does decay the 0-d {@code temp};
     * this rule does not.
     */
    static boolean appliesWeightDecay(String name, long[] shape) {
        return shape.length >= 2
                && !name.contains("bias")
                && !name.contains("ln")
                && !name.contains("bn")
                && !name.contains("LayerNorm")
                && !name.contains("layernorm")
                && !name.contains("layer_norm");
    }

    /** The two groups, decaying first (LAVIS's order); every parameter is in exactly one. */
    public List<ParamGroup> paramGroups() {
        List<String> decay = new ArrayList<>();
        List<String> noDecay = new ArrayList<>();
        for (ParamState s : states) {
            (s.decays ? decay : noDecay).add(s.name);
        }
        return List.of(new ParamGroup(options.weightDecay(), decay), new ParamGroup(0.0, noDecay));
    }

    public Options options() {
        return options;
    }

    /** The learning rate the next {@link #step()} uses. */
    public double lr() {
        return lr;
    }

    /** Sets the learning rate of both groups, as a LAVIS scheduler sets {@code param_group["lr"]}. */
    public void setLr(double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
        }
        this.lr = lr;
    }

    /**
     * Gives one parameter the rate {@code lr · scale} from now on, as a parameter group of its own with
     * {@code lr_scale} would have (BEiT's layer-wise decay, which LAVIS's configs name but never apply). Its decoupled
     * weight decay scales with it, as PyTorch applies {@code lr · weight_decay} per group.
     *
     * @throws IllegalArgumentException for an unknown name or a scale that is not finite and >= 0
     */
    public void setLrScale(String name, double scale) {
        if (!(scale >= 0 && Double.isFinite(scale))) {
            throw new IllegalArgumentException("learning-rate scale must be finite and >= 0, got " + scale);
        }
        state(name).lrScale = scale;
    }

    /** The rate {@code name} gets at the next {@link #step()}: {@code lr} times its scale. */
    public double lrOf(String name) {
        return lr * state(name).lrScale;
    }

    private ParamState state(String name) {
        for (ParamState s : states) {
            if (s.name.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no parameter " + name + " in this optimizer");
    }

    /** Updates every parameter that has a gradient ({@link Tensor#grad()} not null); the others keep their values. */
    public void step() {
        for (ParamState s : states) {
            INDArray grad = s.param.grad();
            if (grad == null) {
                continue;
            }
            INDArray param = s.param.data();
            checkUpdatable(s.name, param);
            checkUpdatable(s.name + " (gradient)", grad);
            s.step++;
            double rate = lr * s.lrScale;
            double stepSize = rate / (1 - Math.pow(options.beta1(), s.step));
            double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(options.beta2(), s.step));
            double decay = 1 - rate * s.weightDecay;
            if (param.dataType() == DataType.FLOAT) {
                updateFloat(param, grad, s.expAvg, s.expAvgSq, decay, stepSize, biasCorrection2Sqrt);
            } else {
                updateDouble(param, grad, s.expAvg, s.expAvgSq, decay, stepSize, biasCorrection2Sqrt);
            }
        }
    }

    /** Forgets every parameter's gradient ({@code optimizer.zero_grad()}). */
    public void zeroGrad() {
        states.forEach(s -> s.param.zeroGrad());
    }

    /**
     * The state to save for an exact resume: {@code exp_avg.<name>} and {@code exp_avg_sq.<name>} (the parameter's
     * shape and type) and {@code step.<name>} (a 0-d INT64) for every parameter, in parameter order. The moment
     * arrays are the live ones, not copies: write them out before the next {@link #step()}.
     */
    public Map<String, INDArray> state() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (ParamState s : states) {
                out.put("exp_avg." + s.name, s.expAvg);
                out.put("exp_avg_sq." + s.name, s.expAvgSq);
                out.put("step." + s.name, Nd4j.scalar(DataType.INT64, s.step));
            }
        }
        return out;
    }

    /**
     * Restores what {@link #state()} gave (for instance read back from a safetensors file), copying into this
     * optimizer's arrays and converting types if needed. Checks everything before changing anything.
     *
     * @throws IllegalArgumentException if a key is missing or unexpected, a shape differs or a step is negative
     */
    public void load(Map<String, INDArray> state) {
        List<String> problems = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        for (ParamState s : states) {
            for (String key : List.of("exp_avg." + s.name, "exp_avg_sq." + s.name)) {
                expected.add(key);
                INDArray a = state.get(key);
                if (a == null) {
                    problems.add("missing " + key);
                } else if (!Arrays.equals(a.shape(), s.param.shape())) {
                    problems.add(key + " has shape " + Arrays.toString(a.shape()) + ", the parameter "
                            + Arrays.toString(s.param.shape()));
                }
            }
            String stepKey = "step." + s.name;
            expected.add(stepKey);
            INDArray step = state.get(stepKey);
            if (step == null) {
                problems.add("missing " + stepKey);
            } else if (step.length() != 1 || step.getLong(0) < 0) {
                problems.add(stepKey + " must be one non-negative number, got " + step);
            }
        }
        state.keySet().stream().filter(k -> !expected.contains(k)).sorted().forEach(k -> problems.add("unexpected " + k));
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("optimizer state does not match the parameters: "
                    + String.join("; ", problems));
        }
        for (ParamState s : states) {
            s.expAvg.assign(state.get("exp_avg." + s.name));
            s.expAvgSq.assign(state.get("exp_avg_sq." + s.name));
            s.step = state.get("step." + s.name).getLong(0);
        }
    }

    // ---------------------------------------------------------------- the update, one pass over the buffers

    private void updateFloat(INDArray param, INDArray grad, INDArray expAvg, INDArray expAvgSq,
            double decay, double stepSize, double biasCorrection2Sqrt) {
        FloatBuffer p = floats(param);
        FloatBuffer g = floats(grad);
        FloatBuffer m = floats(expAvg);
        FloatBuffer v = floats(expAvgSq);
        float fDecay = (float) decay;
        float weight = (float) (1 - options.beta1());
        float beta2 = (float) options.beta2();
        float oneMinusBeta2 = (float) (1 - options.beta2());
        float bc2Sqrt = (float) biasCorrection2Sqrt;
        float eps = (float) options.eps();
        float negStepSize = (float) -stepSize;
        parallelFor((int) param.length(), (from, to) -> {
            for (int i = from; i < to; i++) {
                float gi = g.get(i);
                float pi = p.get(i) * fDecay;
                float mi = m.get(i);
                mi = weight < 0.5f ? mi + weight * (gi - mi) : gi - (gi - mi) * (1 - weight); // torch.lerp
                float vi = v.get(i) * beta2 + oneMinusBeta2 * gi * gi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                m.put(i, mi);
                v.put(i, vi);
                p.put(i, pi + negStepSize * mi / denom);
            }
        });
        keepAlive(param, grad, expAvg, expAvgSq);
    }

    private void updateDouble(INDArray param, INDArray grad, INDArray expAvg, INDArray expAvgSq,
            double decay, double stepSize, double biasCorrection2Sqrt) {
        DoubleBuffer p = doubles(param);
        DoubleBuffer g = doubles(grad);
        DoubleBuffer m = doubles(expAvg);
        DoubleBuffer v = doubles(expAvgSq);
        double weight = 1 - options.beta1();
        double beta2 = options.beta2();
        double oneMinusBeta2 = 1 - options.beta2();
        double eps = options.eps();
        parallelFor((int) param.length(), (from, to) -> {
            for (int i = from; i < to; i++) {
                double gi = g.get(i);
                double pi = p.get(i) * decay;
                double mi = m.get(i);
                mi = weight < 0.5 ? mi + weight * (gi - mi) : gi - (gi - mi) * (1 - weight); // torch.lerp
                double vi = v.get(i) * beta2 + oneMinusBeta2 * gi * gi;
                double denom = Math.sqrt(vi) / biasCorrection2Sqrt + eps;
                m.put(i, mi);
                v.put(i, vi);
                p.put(i, pi - stepSize * mi / denom);
            }
        });
        keepAlive(param, grad, expAvg, expAvgSq);
    }

    @FunctionalInterface
    private interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over [0, n) in one contiguous slice per core (elementwise, so the result is the same). */
    private static void parallelFor(int n, Range body) {
        int slices = n < PARALLEL_THRESHOLD ? 1 : THREADS;
        if (slices == 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, slices).parallel()
                .forEach(s -> body.run((int) ((long) n * s / slices), (int) ((long) n * (s + 1) / slices)));
    }

    /** The array's native memory as a buffer from its first element (views included). */
    private static FloatBuffer floats(INDArray array) {
        return window(array, Float.BYTES).asFloatBuffer();
    }

    private static DoubleBuffer doubles(INDArray array) {
        return window(array, Double.BYTES).asDoubleBuffer();
    }

    private static ByteBuffer window(INDArray array, int elementBytes) {
        Pointer address = array.data().addressPointer();
        long start = address.position() * elementBytes;
        long end = start + array.length() * elementBytes;
        return new BytePointer(address).capacity(end).limit(end).position(start)
                .asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /** The buffers above do not keep the arrays alive; their native memory must outlive the loops. */
    private static void keepAlive(INDArray... arrays) {
        Reference.reachabilityFence(arrays);
    }

    private static void checkUpdatable(String name, INDArray array) {
        DataType type = array.dataType();
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("AdamW updates FLOAT or DOUBLE parameters; " + name + " is " + type);
        }
        if (!DenseArrays.isDenseC(array)) {
            throw new IllegalArgumentException("AdamW needs dense C-order arrays; " + name + " has shape "
                    + Arrays.toString(array.shape()) + " and strides " + Arrays.toString(array.stride()));
        }
        if (array.length() * type.width() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " is over 2 GiB, more than one buffer can address");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
