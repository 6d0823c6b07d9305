package org.tiaoyu.qformer.eval;

/** Hears how far a long evaluation has come, phase by phase (e.g. {@code "images"}, 120 of 500). */
@FunctionalInterface
public interface EvalProgress {

    /** Does nothing. */
    EvalProgress NONE = (phase, done, total) -> { };

    /** {@code done} of the {@code total} items of {@code phase} are finished. */
    void update(String phase, long done, long total);
}
