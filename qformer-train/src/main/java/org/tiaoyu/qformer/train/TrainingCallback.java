package org.tiaoyu.qformer.train;

import java.nio.file.Path;
import java.util.Map;

/** Hooks into a {@link Trainer}'s run; every method does nothing unless overridden. */
public interface TrainingCallback {

    /** Before the first step of this process: where the run starts (0, or the step it resumes after). */
    default void onStart(int startStep, int totalSteps) {}

    /** After every optimizer step, once its metrics line is written. */
    default void onStep(StepMetrics metrics) {}

    /**
     * After the validation has scored the checkpoint of {@code step} (before that checkpoint is renamed into place).
     *
     * @param best whether it is the best so far
     */
    default void onEvaluation(int step, Map<String, Double> figures, boolean best) {}

    /** While the validation runs: {@code done} of {@code total} items of {@code phase}. */
    default void onEvaluationProgress(String phase, long done, long total) {}

    /** After a checkpoint is complete on disk. */
    default void onCheckpoint(int step, Path dir) {}

    /** After the last step (not when the run fails). */
    default void onEnd(TrainResult result) {}
}
