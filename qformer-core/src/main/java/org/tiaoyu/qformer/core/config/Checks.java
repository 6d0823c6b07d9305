package org.tiaoyu.qformer.core.config;

/** Argument checks shared by the config records; each message names the HF field and its value. */
final class Checks {
    private Checks() {}

    static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
    }

    static void nonNegative(String field, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative, got " + value);
        }
    }

    /** A strictly positive, finite number (epsilons, init ranges). */
    static void positive(String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(field + " must be positive and finite, got " + value);
        }
    }

    /** A dropout probability in [0, 1). */
    static void probability(String field, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(field + " must be in [0, 1), got " + value);
        }
    }

    static void divisible(String field, int value, String byField, int by) {
        if (value % by != 0) {
            throw new IllegalArgumentException(
                    field + " " + value + " is not divisible by " + byField + " " + by);
        }
    }

    /** A token id that must index the vocabulary. */
    static void tokenId(String field, int id, int vocabSize) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException(
                    field + " " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        }
    }

    static <T> T notNull(String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException(field + " must not be null");
        }
        return value;
    }

    /** The geometry every ViT config shares: positive sizes, heads dividing the width, a patch inside the image. */
    static void visionTransformer(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
            int imageSize, int patchSize, int numChannels) {
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        divisible("hidden_size", hiddenSize, "num_attention_heads", numAttentionHeads);
        positive("image_size", imageSize);
        positive("patch_size", patchSize);
        if (patchSize > imageSize) {
            throw new IllegalArgumentException("patch_size " + patchSize + " is larger than image_size " + imageSize);
        }
        positive("num_channels", numChannels);
    }
}
