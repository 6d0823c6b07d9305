package org.tiaoyu.qformer.examples;

import java.nio.file.Path;
import org.tiaoyu.qformer.core.NativeBackend;
import org.tiaoyu.qformer.train.LossPlot;
import org.tiaoyu.qformer.train.Stage1Training;
import org.tiaoyu.qformer.train.StepMetrics;
import org.tiaoyu.qformer.train.TrainConfig;
import org.tiaoyu.qformer.train.TrainResult;
import org.tiaoyu.qformer.train.Trainer;
import org.tiaoyu.qformer.train.TrainingCallback;

/**
 * Stage-1 training on COCO-format captions, the config built in code rather than read from JSON, with a loss term of
 * one's own ({@link QueryDiversityTerm}) and a callback that prints every tenth step.
 *
 * <pre>
 * TrainStage1OnCoco MODEL_DIR CAPTIONS.json IMAGE_ROOT OUTPUT_DIR [STEPS]
 * </pre>
 * For instance, on the repository's tiny data: {@code testdata/e2e/retrieval_model
 * examples/train/tiny-data/captions_coco.json examples/train/tiny-data /tmp/coco-run 40}; on COCO itself:
 * a {@code Blip2ForImageTextRetrieval} directory, {@code annotations/captions_train2017.json},
 * {@code train2017}. Run again with the same arguments after a crash and it resumes.
 */
public final class TrainStage1OnCoco {

    private TrainStage1OnCoco() {}

    /** The run's settings: LAVIS's defaults except the ones named here. */
    static TrainConfig config(Path model, Path captions, Path imageRoot, Path outputDir, int steps) {
        return new TrainConfig(outputDir.toString(), 42L, steps, null, Math.max(1, steps / 4), 2,
                new TrainConfig.Model(TrainConfig.Init.SCRATCH, model.toString(), null, null, null, false, true, 0.0),
                new TrainConfig.Data(captions.toString(), "coco", imageRoot.toString(), null, 8, 2, null, true, true,
                        24, null),
                new TrainConfig.Loss(null, null, null),
                new TrainConfig.Optim(1e-3, 1e-5, 1e-5, Math.max(1, steps / 10), null, null, null, null, null, 5.0,
                        null, null, null),
                null);                                                   // no evaluation while training
    }

    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: TrainStage1OnCoco MODEL_DIR CAPTIONS.json IMAGE_ROOT OUTPUT_DIR [STEPS]");
            System.exit(2);
        }
        NativeBackend.configure();
        TrainConfig config = config(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(args[3]),
                args.length > 4 ? Integer.parseInt(args[4]) : 40);
        try (Stage1Training stage = Stage1Training.create(config)) {
            stage.addTerm("query_diversity", 0.1, new QueryDiversityTerm());
            TrainResult result = new Trainer<>(config, stage)
                    .addCallback(new LossPlot(config.requireOutputDir()))
                    .addCallback(new TrainingCallback() {
                        @Override
                        public void onStep(StepMetrics m) {
                            if (m.step() % 10 == 0 || m.step() == m.totalSteps()) {
                                System.out.printf("step %d/%d  loss %.4f  %s%n", m.step(), m.totalSteps(), m.loss(),
                                        m.losses());
                            }
                        }
                    })
                    .run(java.nio.file.Files.exists(config.requireOutputDir()));
            System.out.printf("%d steps, final loss %.4f, %d records skipped -> %s%n", result.steps(),
                    result.finalLoss(), result.skippedRecords(), result.outputDir());
        }
    }
}
