package org.tiaoyu.qformer.core.config;

import java.util.Arrays;
import java.util.stream.Collectors;

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
