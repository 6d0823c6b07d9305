package org.tiaoyu.qformer.train;

import java.util.Map;

/**
 * What one optimizer step measured: a line of {@code metrics.jsonl}.
 *
 * @param step             counting from 1
 * @param totalSteps       the run's steps
 * @param epoch            epochs of data consumed, fractional (HF Trainer's {@code epoch})
 * @param lr               the learning rate the step used
 * @param loss             the total, averaged over the step's micro-batches
 * @param losses           each part ({@code loss_itc}, …), averaged the same way
 * @param gradNorm         the global gradient norm before clipping
 * @param skipped          why the update was skipped (a non-finite loss or norm, no usable record), else null
 * @param samplesPerSecond pairs trained per second over this process's steps so far
 * @param seconds          seconds since this process started training
 */
public record StepMetrics(int step, int totalSteps, double epoch, double lr, double loss, Map<String, Double> losses,
        double gradNorm, String skipped, double samplesPerSecond, double seconds) {

    public StepMetrics {
        losses = Map.copyOf(losses);
    }
}
