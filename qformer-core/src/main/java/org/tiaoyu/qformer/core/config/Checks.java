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
}
