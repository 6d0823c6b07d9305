package org.tiaoyu.qformer.train.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.core.nn.Module;

class AdamWTest {

    private static final AdamW.Options OPTIONS = AdamW.Options.lavisStage1().withLr(1e-2).withWeightDecay(0.1);

    /** Gives {@code p} the gradient {@code grad}, through the engine: d/dp sum(p · grad) = grad. */
    private static void setGrad(Tensor p, INDArray grad) {
        p.zeroGrad();
        Ops.sum(Ops.mul(p, Tensor.constant(grad)), false).backward();
    }

    private static Tensor param(Rng rng, DataType type, long... shape) {
        INDArray a = Nd4j.create(type, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, rng.nextGaussian());
        }
        return Tensor.variable(a);
    }

    private static double[] doubles(INDArray a) {
        return a.reshape(a.length()).toDoubleVector();
    }

    private static float[] floats(INDArray a) {
        return a.reshape(a.length()).toFloatVector();
    }

    private static INDArray gaussian(Rng rng, DataType type, long... shape) {
        return param(rng, type, shape).data();
    }

    /**
     * The textbook AdamW step on one element (Loshchilov &amp; Hutter, Algorithm 2, with PyTorch's placement of eps):
     * {@code state} is {m, v}; returns the new value.
     */
    private static double reference(double p, double g, double[] state, int t, double lr, double wd) {
        double b1 = OPTIONS.beta1();
        double b2 = OPTIONS.beta2();
        state[0] = b1 * state[0] + (1 - b1) * g;
        state[1] = b2 * state[1] + (1 - b2) * g * g;
        double mHat = state[0] / (1 - Math.pow(b1, t));
        double vHat = state[1] / (1 - Math.pow(b2, t));
        return p * (1 - lr * wd) - lr * mHat / (Math.sqrt(vHat) + OPTIONS.eps());
    }

    @Test
    void threeStepsMatchTheFormulaWithWeightDecayOnTheWeightOnly() {
        Rng rng = new Rng(1);
        Tensor weight = param(rng, DataType.DOUBLE, 2, 3);
        Tensor bias = param(rng, DataType.DOUBLE, 3);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("dense.weight", weight);
        params.put("dense.bias", bias);
        AdamW adamw = new AdamW(params, OPTIONS);

        double[] w = doubles(weight.data());
        double[] b = doubles(bias.data());
        double[][] wState = new double[w.length][2];
        double[][] bState = new double[b.length][2];
        double[] lrs = {1e-2, 5e-3, 2e-2}; // a schedule changes the rate between steps
        for (int t = 1; t <= 3; t++) {
            INDArray gw = gaussian(rng, DataType.DOUBLE, 2, 3);
            INDArray gb = gaussian(rng, DataType.DOUBLE, 3);
            setGrad(weight, gw);
            setGrad(bias, gb);
            double lr = lrs[t - 1];
            adamw.setLr(lr);
            adamw.step();
            if (t == 1) { // by hand: m̂ = g and v̂ = g², so the first step is p·(1 − lr·wd) − lr·g/(|g| + eps)
                double g0 = gw.getDouble(0);
                assertEquals(w[0] * (1 - lr * 0.1) - lr * g0 / (Math.abs(g0) + 1e-8), weight.data().getDouble(0),
                        1e-15);
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = reference(w[i], gw.getDouble(i), wState[i], t, lr, 0.1);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = reference(b[i], gb.getDouble(i), bState[i], t, lr, 0.0);
            }
            assertArrayEquals(w, doubles(weight.data()), 1e-14, "weight after step " + t);
            assertArrayEquals(b, doubles(bias.data()), 1e-14, "bias after step " + t);
        }
        assertEquals(3L, adamw.state().get("step.dense.weight").getLong(0));
    }

    @Test
    void aLearningRateScaleIsThatParametersOwnRateWeightDecayIncluded() {
        Rng rng = new Rng(4);
        Tensor scaled = param(rng, DataType.DOUBLE, 2, 3);
        Tensor plain = Tensor.variable(scaled.data().dup());
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("layer.weight", scaled);
        params.put("other.weight", plain);
        AdamW adam = new AdamW(params, OPTIONS);
        adam.setLrScale("layer.weight", 0.25);
        assertEquals(OPTIONS.lr() * 0.25, adam.lrOf("layer.weight"), 0.0);
        assertEquals(OPTIONS.lr(), adam.lrOf("other.weight"), 0.0);
        double[] p0 = doubles(scaled.data());
        double[][] states = new double[p0.length][2];
        for (int t = 1; t <= 3; t++) {
            INDArray g = gaussian(rng, DataType.DOUBLE, 2, 3);
            scaled.zeroGrad();
            plain.zeroGrad();
            Ops.sum(Ops.mul(scaled, Tensor.constant(g)), false).backward();
            Ops.sum(Ops.mul(plain, Tensor.constant(g)), false).backward();
            double[] gs = doubles(g);
            for (int i = 0; i < p0.length; i++) {
                p0[i] = reference(p0[i], gs[i], states[i], t, OPTIONS.lr() * 0.25, OPTIONS.weightDecay());
            }
            adam.step();
        }
        assertArrayEquals(p0, doubles(scaled.data()), 1e-15, "the formula at lr · 0.25, decay included");
        assertNotEquals(doubles(plain.data())[0], doubles(scaled.data())[0]);
        assertThrows(IllegalArgumentException.class, () -> adam.setLrScale("nothing", 1.0));
        assertThrows(IllegalArgumentException.class, () -> adam.setLrScale("layer.weight", Double.NaN));
    }

    @Test
    void floatParametersSplitOverCoresMatchTheFormula() {
        Rng rng = new Rng(2);
        Tensor big = param(rng, DataType.FLOAT, 300, 256); // over the size at which the update is split
        AdamW adamw = new AdamW(Map.of("big.weight", big), OPTIONS);
        double[] p = doubles(big.data());
        double[][] state = new double[p.length][2];
        for (int t = 1; t <= 3; t++) {
            INDArray g = gaussian(rng, DataType.FLOAT, 300, 256);
            setGrad(big, g);
            adamw.step();
            double[] gs = doubles(g);
            for (int i = 0; i < p.length; i++) {
                p[i] = reference(p[i], gs[i], state[i], t, OPTIONS.lr(), OPTIONS.weightDecay());
            }
            double[] got = doubles(big.data());
            for (int i = 0; i < p.length; i++) {
                assertEquals(p[i], got[i], 1e-6 * (1 + Math.abs(p[i])), "element " + i + " after step " + t);
            }
        }
    }

    @Test
    void weightDecaySkipsOneDimensionalParametersAndNormsAndBiasesByName() {
        assertTrue(AdamW.appliesWeightDecay("encoder.layer.0.attention.output.dense.weight", new long[] {4, 4}));
        assertTrue(AdamW.appliesWeightDecay("query_tokens", new long[] {1, 32, 768}));
        assertTrue(AdamW.appliesWeightDecay("vision_proj.weight", new long[] {256, 768}));
        assertFalse(AdamW.appliesWeightDecay("encoder.layer.0.attention.output.dense.bias", new long[] {4}));
        assertFalse(AdamW.appliesWeightDecay("encoder.layer.0.attention.output.LayerNorm.weight", new long[] {4}));
        assertFalse(AdamW.appliesWeightDecay("temp", new long[] {}));
        assertFalse(AdamW.appliesWeightDecay("query_scale", new long[] {4})); // 1-d, whatever the name
        assertFalse(AdamW.appliesWeightDecay("ln_vision.weight", new long[] {4, 4})); // by name, LAVIS's "ln"
        assertFalse(AdamW.appliesWeightDecay("head.bn.weight", new long[] {4, 4}));
        assertFalse(AdamW.appliesWeightDecay("relative_bias_table", new long[] {4, 4}));
        assertFalse(AdamW.appliesWeightDecay("post_layernorm.weight", new long[] {4, 4}));
        assertFalse(AdamW.appliesWeightDecay("block.LayerNorm.weight", new long[] {4, 4}));
        assertFalse(AdamW.appliesWeightDecay("layer_norm1.weight", new long[] {4, 4}));
    }

    @Test
    void theGroupsDecayExactlyTheirOwnParameters() {
        Rng rng = new Rng(3);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("dense.weight", param(rng, DataType.DOUBLE, 4, 4));
        params.put("query_tokens", param(rng, DataType.DOUBLE, 1, 2, 4));
        params.put("dense.bias", param(rng, DataType.DOUBLE, 4));
        params.put("LayerNorm.weight", param(rng, DataType.DOUBLE, 4));
        params.put("ln_vision.weight", param(rng, DataType.DOUBLE, 4, 4));
        params.put("temp", Tensor.variable(Nd4j.scalar(DataType.DOUBLE, 0.07)));
        AdamW adamw = new AdamW(params, OPTIONS);
        assertEquals(List.of(new AdamW.ParamGroup(0.1, List.of("dense.weight", "query_tokens")),
                new AdamW.ParamGroup(0.0, List.of("dense.bias", "LayerNorm.weight", "ln_vision.weight", "temp"))),
                adamw.paramGroups());

        // With a zero gradient Adam's update is exactly 0, so only the decay shows: p·(1 − lr·wd) or p unchanged.
        Map<String, INDArray> before = new HashMap<>();
        params.forEach((name, p) -> {
            before.put(name, p.data().dup());
            setGrad(p, Nd4j.zeros(DataType.DOUBLE, p.shape()));
        });
        adamw.step();
        double factor = 1 - OPTIONS.lr() * OPTIONS.weightDecay();
        for (String name : List.of("dense.weight", "query_tokens")) {
            assertEquals(before.get(name).mul(factor), params.get(name).data(), name);
            assertNotEquals(before.get(name), params.get(name).data(), name);
        }
        for (String name : List.of("dense.bias", "LayerNorm.weight", "ln_vision.weight", "temp")) {
            assertArrayEquals(doubles(before.get(name)), doubles(params.get(name).data()), name);
        }
    }

    /** Two parameters, one frozen, one that gets no gradient. */
    private static final class TwoLayers extends Module {
        final Tensor used;
        final Tensor unused;
        final Tensor frozen;

        TwoLayers(Rng rng) {
            used = parameter("used.weight", gaussian(rng, DataType.DOUBLE, 3, 3));
            unused = parameter("unused.weight", gaussian(rng, DataType.DOUBLE, 3, 3));
            frozen = parameter("frozen.weight", gaussian(rng, DataType.DOUBLE, 3, 3));
            frozen.setRequiresGrad(false);
        }
    }

    @Test
    void aParameterWithoutGradientIsUntouchedAndFrozenOnesAreLeftOut() {
        Rng rng = new Rng(4);
        TwoLayers model = new TwoLayers(rng);
        AdamW adamw = AdamW.forModule(model, OPTIONS);
        assertFalse(adamw.state().containsKey("exp_avg.frozen.weight"));
        INDArray usedBefore = model.used.data().dup();
        INDArray unusedBefore = model.unused.data().dup();
        for (int t = 0; t < 3; t++) {
            setGrad(model.used, gaussian(rng, DataType.DOUBLE, 3, 3));
            adamw.step();
            adamw.zeroGrad();
            assertTrue(model.used.grad() == null);
        }
        assertNotEquals(usedBefore, model.used.data());
        assertArrayEquals(doubles(unusedBefore), doubles(model.unused.data()));
        Map<String, INDArray> state = adamw.state();
        assertEquals(3L, state.get("step.used.weight").getLong(0));
        assertEquals(0L, state.get("step.unused.weight").getLong(0));
        assertEquals(0.0, state.get("exp_avg_sq.unused.weight").sumNumber().doubleValue());
    }

    @Test
    void fitsALinearRegression() {
        Rng rng = new Rng(5);
        INDArray trueWeight = Nd4j.createFromArray(new double[][] {{1.5, -2.0, 0.5}, {0.25, 1.0, -1.0}});
        Tensor x = Tensor.constant(gaussian(rng, DataType.DOUBLE, 64, 3));
        Tensor y = Tensor.constant(x.data().mmul(trueWeight.transpose()));                  // (64, 2)
        Tensor weight = Tensor.variable(Nd4j.zeros(DataType.DOUBLE, 2, 3));
        AdamW adamw = new AdamW(Map.of("weight", weight), OPTIONS.withLr(0.1).withWeightDecay(0.0));
        LrSchedule schedule = new LrSchedule.LinearWarmupCosine(0.1, 1e-4, 0.01, 20, 10, 50);
        double first = Double.NaN;
        double loss = Double.NaN;
        for (int step = 0; step < 500; step++) {
            Tensor residual = Ops.linear(x, weight, null).sub(y);                                // (64, 2)
            Tensor squared = Ops.mean(residual.mul(residual), false);
            loss = squared.item();
            first = step == 0 ? loss : first;
            squared.backward();
            adamw.setLr(schedule.lr(step));
            adamw.step();
            adamw.zeroGrad();
        }
        assertTrue(loss < 1e-6 * first, "loss went from " + first + " to " + loss);
        assertArrayEquals(doubles(trueWeight), doubles(weight.data()), 1e-3);
    }

    /** A two-layer float MLP: y = W2·gelu(W1·x + b1). */
    private static final class Mlp extends Module {
        final Tensor w1;
        final Tensor b1;
        final Tensor w2;

        Mlp(Rng rng) {
            w1 = parameter("fc1.weight", gaussian(rng, DataType.FLOAT, 8, 4));
            b1 = parameter("fc1.bias", gaussian(rng, DataType.FLOAT, 8));
            w2 = parameter("fc2.weight", gaussian(rng, DataType.FLOAT, 2, 8));
        }

        /** The loss of the batch for {@code step}, with its gradients; each step's data comes from its own seed. */
        void backwardOn(int step) {
            Rng data = new Rng(1000 + step);
            Tensor x = Tensor.constant(gaussian(data, DataType.FLOAT, 16, 4));
            Tensor target = Tensor.constant(gaussian(data, DataType.FLOAT, 16, 2));
            Tensor residual = Ops.linear(Ops.linear(x, w1, b1).gelu(), w2, null).sub(target);
            Ops.mean(residual.mul(residual), false).backward();
        }
    }

    private static void train(Mlp model, AdamW adamw, LrSchedule schedule, int from, int to) {
        for (int step = from; step < to; step++) {
            model.backwardOn(step);
            GradClip.clipGlobalNorm(model.trainableParameters().values(), 1.0);
            adamw.setLr(schedule.lr(step));
            adamw.step();
            adamw.zeroGrad();
        }
    }

    @Test
    void resumingFromSavedStateIsBitIdentical(@TempDir Path dir) {
        LrSchedule schedule = new LrSchedule.LinearWarmupCosine(1e-2, 1e-4, 1e-3, 3, 4, 5);
        Mlp straight = new Mlp(new Rng(6));
        AdamW straightOptimizer = AdamW.forModule(straight, OPTIONS);
        train(straight, straightOptimizer, schedule, 0, 20);

        Mlp first = new Mlp(new Rng(6));
        AdamW firstOptimizer = AdamW.forModule(first, OPTIONS);
        train(first, firstOptimizer, schedule, 0, 8);
        Path weights = dir.resolve("model.safetensors");
        Path optimizerState = dir.resolve("optimizer.safetensors");
        Map<String, INDArray> params = new LinkedHashMap<>();
        first.namedParameters().forEach((name, p) -> params.put(name, p.data()));
        SafetensorsWriter.write(weights, params);
        SafetensorsWriter.write(optimizerState, firstOptimizer.state());

        Mlp resumed = new Mlp(new Rng(7)); // different initial values, all overwritten
        AdamW resumedOptimizer = AdamW.forModule(resumed, OPTIONS);
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            resumed.namedParameters().forEach((name, p) -> file.loadInto(name, p.data()));
        }
        try (SafetensorsFile file = SafetensorsFile.open(optimizerState)) {
            Map<String, INDArray> state = new LinkedHashMap<>();
            file.tensors().forEach(t -> state.put(t.name(), file.load(t.name())));
            resumedOptimizer.load(state);
        }
        train(resumed, resumedOptimizer, schedule, 8, 20);

        straight.namedParameters().forEach((name, p) -> assertArrayEquals(floats(p.data()),
                floats(resumed.namedParameters().get(name).data()), name));
        straightOptimizer.state().forEach((key, a) -> assertEquals(a, resumedOptimizer.state().get(key), key));
    }

    @Test
    void loadRejectsStateThatDoesNotFit() {
        Mlp model = new Mlp(new Rng(8));
        AdamW adamw = AdamW.forModule(model, OPTIONS);
        Map<String, INDArray> state = new LinkedHashMap<>(adamw.state());
        state.remove("exp_avg.fc1.bias");
        state.put("exp_avg_sq.fc2.weight", Nd4j.zeros(DataType.FLOAT, 8, 2));
        state.put("exp_avg.fc3.weight", Nd4j.zeros(DataType.FLOAT, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> adamw.load(state));
        assertTrue(e.getMessage().contains("missing exp_avg.fc1.bias"), e.getMessage());
        assertTrue(e.getMessage().contains("exp_avg_sq.fc2.weight has shape [8, 2]"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected exp_avg.fc3.weight"), e.getMessage());
    }

    @Test
    void optionsAreCheckedAndDefaultToLavisStageOne() {
        AdamW.Options lavis = AdamW.Options.lavisStage1();
        assertEquals(new AdamW.Options(1e-4, 0.9, 0.999, 1e-8, 0.05), lavis);
        assertThrows(IllegalArgumentException.class, () -> lavis.withBetas(0.9, 1.0));
        assertThrows(IllegalArgumentException.class, () -> lavis.withLr(-1));
        assertThrows(IllegalArgumentException.class, () -> lavis.withWeightDecay(-0.1));
        Tensor half = Tensor.variable(Nd4j.zeros(DataType.HALF, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(Map.of("w", half), lavis));
    }
}
