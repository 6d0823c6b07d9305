package org.tiaoyu.qformer.train;

import java.nio.file.Path;
import java.util.List;

/**
 * How a run ended.
 *
 * @param stage          1 or 2
 * @param steps          optimizer steps done in all, resumed ones included
 * @param finalLoss      the last step's loss
 * @param skippedRecords records left out (when the data was read, or when an image could not be decoded)
 * @param outputDir      the output directory
 * @param seconds        this process's training time
 * @param dataWaitSeconds of that, the time the step waited for the data loader
 * @param metrics        the steps this process ran
 * @param bestCheckpoint the checkpoint the validation scored best ({@code eval.metric}); null without evaluation
 * @param bestScore      its score, NaN without evaluation
 */
public record TrainResult(int stage, int steps, double finalLoss, int skippedRecords, Path outputDir, double seconds,
        double dataWaitSeconds, List<StepMetrics> metrics, Path bestCheckpoint, double bestScore) {

    public TrainResult {
        metrics = List.copyOf(metrics);
    }
}
