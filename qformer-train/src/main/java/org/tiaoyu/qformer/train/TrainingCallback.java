package org.tiaoyu.qformer.train;

import java.nio.file.Path;

/** Hooks into a {@link Trainer}'s run; every method does nothing unless overridden. */
public interface TrainingCallback {

    /** Before the first step of this process: where the run starts (0, or the step it resumes after). */
    default void onStart(int startStep, int totalSteps) {}

    /** After every optimizer step, once its metrics line is written. */
    default void onStep(StepMetrics metrics) {}

    /** After a checkpoint is complete on disk. */
    default void onCheckpoint(int step, Path dir) {}

    /** After the last step (not when the run fails). */
    default void onEnd(TrainResult result) {}
}
