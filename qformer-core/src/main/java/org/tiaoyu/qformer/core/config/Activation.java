package org.tiaoyu.qformer.core.config;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * An activation function named in a config, parsed once from the name HF uses in its {@code ACT2FN} table
 * ({@code transformers/activations.py}).
 */
public enum Activation {
    /** Exact GELU, {@code x * Phi(x)} with the error function (HF {@code "gelu"}, {@code GELUActivation}). */
    GELU("gelu"),
    /** The tanh approximation of GELU (HF {@code "gelu_new"}, {@code NewGELUActivation}); T5's gated GELU. */
    GELU_NEW("gelu_new"),
    /** {@code x * sigmoid(1.702 x)} (HF {@code "quick_gelu"}); OpenAI CLIP. */
    QUICK_GELU("quick_gelu"),
    /** {@code max(0, x)} (HF {@code "relu"}); OPT. */
    RELU("relu"),
    /** {@code x * sigmoid(x)} (HF {@code "silu"}). */
    SILU("silu");

    private final String hfName;

    Activation(String hfName) {
        this.hfName = hfName;
    }

    /**
     * Applies the activation. Exact GELU and ReLU are primitive ops; the others are composed from them, so their
     * gradients come from the primitives' (tanh x = 2·σ(2x) − 1, σ(x) = 1 / (1 + e^−x)).
     */
    public Tensor apply(Tensor x) {
        return switch (this) {
            case GELU -> Ops.gelu(x);
            case RELU -> Ops.relu(x);
            case QUICK_GELU -> x.mul(sigmoid(x.mul(1.702)));
            case SILU -> x.mul(sigmoid(x));
            case GELU_NEW -> { // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                Tensor inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2.0 / Math.PI));
                Tensor tanh = sigmoid(inner.mul(2.0)).mul(2.0).add(-1.0);
                yield x.mul(tanh.add(1.0)).mul(0.5);
            }
        };
    }

    private static Tensor sigmoid(Tensor x) {
        Tensor one = Ops.full(x.dataType(), 1.0);
        return Ops.div(one, x.neg().exp().add(1.0));
    }

    /** The name HF writes in {@code config.json}. */
    public String hfName() {
        return hfName;
    }

    /**
     * Parses an HF activation name.
     *
     * @throws IllegalArgumentException when the name is not one of the supported activations
     */
    public static Activation fromHfName(String name) {
        for (Activation a : values()) {
            if (a.hfName.equals(name)) {
                return a;
            }
        }
        String known = Arrays.stream(values()).map(Activation::hfName).collect(Collectors.joining(", "));
        throw new IllegalArgumentException("unsupported activation \"" + name + "\" (supported: " + known + ")");
    }
}
