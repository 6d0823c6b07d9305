package org.tiaoyu.qformer.core.autograd;

/**
 * Whether ops record the graph for {@link Tensor#backward()}. Per thread; on by default.
 *
 * <pre>{@code
 * try (var noGrad = Grad.off()) {
 *     logits = model.forward(batch);   // keeps no activations, records nothing
 * }
 * }</pre>
 */
public final class Grad {

    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private Grad() {}

    /** True when ops on this thread record what {@code backward()} needs. */
    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** Turns recording off until the returned scope is closed, then restores the previous state. */
    public static Scope off() {
        return set(false);
    }

    /** Turns recording on until the returned scope is closed (e.g. inside an outer {@link #off()}). */
    public static Scope on() {
        return set(true);
    }

    private static Scope set(boolean enabled) {
        boolean previous = ENABLED.get();
        ENABLED.set(enabled);
        return () -> ENABLED.set(previous);
    }

    /** A scope that restores the previous recording state when closed. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
