package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.train.LossPlot;
import org.tiaoyu.qformer.train.Stage1Training;
import org.tiaoyu.qformer.train.Stage2Training;
import org.tiaoyu.qformer.train.TrainConfig;
import org.tiaoyu.qformer.train.TrainResult;
import org.tiaoyu.qformer.train.Trainer;
import org.tiaoyu.qformer.train.TrainingStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qformer train stage1|stage2 --config FILE.json [overrides] [--resume]} (DESIGN §5 "Training"): a thin shell over
 * {@link Trainer}. Progress goes to stderr (a bar on a terminal, log lines otherwise); the last line on stdout is
 * the run's summary as one JSON object.
 */
@Command(name = "train", description = "Train a Q-Former (docs/training.md).",
        subcommands = {TrainCommand.Stage1.class, TrainCommand.Stage2.class})
final class TrainCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing stage (stage1 or stage2)");
    }

    /** The flags of every stage: the config and HF Trainer's overrides. */
    static final class RunOptions {
        @Option(names = "--config", required = true, paramLabel = "FILE.json",
                description = "The run's settings (docs/training.md); paths in it are relative to it.")
        Path config;

        @Option(names = "--output-dir", paramLabel = "DIR", description = "Overrides output_dir.")
        String outputDir;

        @Option(names = "--max-steps", paramLabel = "N", description = "Overrides max_steps.")
        Integer maxSteps;

        @Option(names = "--save-steps", paramLabel = "N", description = "Overrides save_steps.")
        Integer saveSteps;

        @Option(names = "--seed", paramLabel = "S", description = "Overrides seed.")
        Long seed;

        @Option(names = "--resume", description = "Continue from the newest complete checkpoint in the output "
                + "directory (from the start when there is none).")
        boolean resume;

        TrainConfig read(int stage) {
            try {
                TrainConfig c = TrainConfig.read(config).withOverrides(outputDir, maxSteps, saveSteps, seed)
                        .forStage(stage);
                c.requireOutputDir();
                return c;
            } catch (IllegalArgumentException e) {
                throw new org.tiaoyu.qformer.core.BadInputException(config + ": " + e.getMessage());
            }
        }
    }

    /** A stage's subcommand: reads the config for that stage, builds the stage, trains. */
    abstract static class StageCommand implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Mixin
        private RunOptions options;

        abstract int stage();

        abstract TrainingStage<?> create(TrainConfig config);

        @Override
        public Integer call() {
            TrainConfig config = options.read(stage());
            try (TrainingStage<?> stage = create(config)) {
                return run(spec, config, stage, options.resume);
            }
        }
    }

    @Command(name = "stage1", description = "Stage 1: the Q-Former with ITC + ITM + ITG on image-caption pairs "
            + "(or cached features), the vision tower frozen.")
    static final class Stage1 extends StageCommand {
        @Override
        int stage() {
            return 1;
        }

        @Override
        TrainingStage<?> create(TrainConfig config) {
            return Stage1Training.create(config);
        }
    }

    @Command(name = "stage2", description = "Stage 2: the Q-Former's queries as a soft prompt for a frozen OPT "
            + "or Flan-T5 model, trained to caption (language_projection, Q-Former, ln_vision).")
    static final class Stage2 extends StageCommand {
        @Override
        int stage() {
            return 2;
        }

        @Override
        TrainingStage<?> create(TrainConfig config) {
            return Stage2Training.create(config);
        }
    }

    /** Trains, with progress on stderr and the loss plot, and prints the summary as the last line on stdout. */
    private static <B> int run(CommandSpec spec, TrainConfig config, TrainingStage<B> stage, boolean resume) {
        TrainResult result = new Trainer<>(config, stage)
                .addCallback(new TrainProgress(spec.commandLine().getErr()))
                .addCallback(new LossPlot(config.requireOutputDir()))
                .run(resume);
        ObjectNode summary = new ObjectMapper().createObjectNode();
        summary.put("stage", result.stage());
        summary.put("steps", result.steps());
        summary.put("final_loss", result.finalLoss());
        summary.put("skipped_records", result.skippedRecords());
        summary.put("output_dir", result.outputDir().toString());
        summary.put("seconds", result.seconds());
        summary.put("data_wait_seconds", result.dataWaitSeconds());
        if (result.bestCheckpoint() != null) {
            summary.put("best_checkpoint", result.bestCheckpoint().toString());
            summary.put("best_score", result.bestScore());
        }
        spec.commandLine().getOut().println(summary);
        return ExitStatus.OK;
    }
}
