package org.tiaoyu.qformer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.MemoryBudget;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.data.BatchLoader;
import org.tiaoyu.qformer.data.SkippedRecord;
import org.tiaoyu.qformer.train.optim.AdamW;
import org.tiaoyu.qformer.train.optim.GradClip;
import org.tiaoyu.qformer.train.optim.LrSchedule;

/**
 * The training loop, the same for both stages: batches from a {@link BatchLoader}, the stage's loss, backward,
 * gradient accumulation, the global norm (clipped if asked), a guard against non-finite steps, AdamW with LAVIS's
 * parameter groups under the configured schedule, a {@code metrics.jsonl} line per step and a checkpoint every
 * {@code save_steps} steps and at the end, keeping the last {@code save_total_limit}. With {@code eval} configured,
 * the validation split is evaluated on a checkpoint before it is renamed into place (so a crash loses the evaluation
 * with the checkpoint, never one without the other), a {@code {"step": n, "eval": {…}}} line is logged, and the best
 * checkpoint by {@code eval.metric} is kept beside the last ones.
 *
 * <p>Everything a step depends on — weights, optimizer moments, the schedule position, the training generator
 * (dropout, hard negatives), the data position — is in the checkpoint, and the data order and augmentation draws
 * depend only on the seed and the position, so {@link #run(boolean) run(true)} after a crash continues with exactly
 * the steps an unbroken run takes.
 *
 * <pre>{@code
 * TrainConfig config = TrainConfig.read(Path.of("examples/train/tiny-stage1.json"));
 * try (Stage1Training stage = Stage1Training.create(config)) {
 *     stage.addTerm("query_diversity", 0.1, new QueryDiversityTerm());
 *     TrainResult result = new Trainer<>(config, stage).addCallback(new TrainingCallback() {
 *         public void onStep(StepMetrics m) { System.out.println(m.step() + " " + m.loss()); }
 *     }).run(false);
 * }
 * }</pre>
 *
 * @param <B> the stage's batch
 */
public final class Trainer<B> {

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final long RNG_SALT = 0x7F4A7C159E3779B9L;
    /** Config fields a resumed run may change: how long it runs and how it saves. */
    private static final Set<String> RESUMABLE_CHANGES = Set.of("output_dir", "max_steps", "num_train_epochs",
            "save_steps", "save_total_limit");

    private final TrainConfig config;
    private final TrainingStage<B> stage;
    private final List<TrainingCallback> callbacks = new ArrayList<>();

    public Trainer(TrainConfig config, TrainingStage<B> stage) {
        this.config = config;
        this.stage = stage;
    }

    public Trainer<B> addCallback(TrainingCallback callback) {
        callbacks.add(callback);
        return this;
    }

    /**
     * Trains to the configured number of steps.
     *
     * @param resume continue from the newest complete checkpoint in the output directory (from the start when
     *               there is none); without it, an output directory that holds checkpoints is refused
     * @throws BadInputException  for an unusable output directory, or a checkpoint that does not fit this config
     * @throws TrainingStoppedException when {@code max_nonfinite_steps} steps in a row were not finite
     */
    public TrainResult run(boolean resume) {
        Path outputDir = config.requireOutputDir();
        try {
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw new BadInputException(outputDir + ": cannot create the output directory (" + e.getMessage() + ")");
        }
        try (FileChannel lockFile = FileChannel.open(outputDir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                throw new BadInputException(outputDir + ": another training run is writing to this directory");
            }
            int swept = Checkpoints.sweepTemporaries(outputDir);
            if (swept > 0) {
                LOG.info("removed {} unfinished checkpoint folder(s) a stopped run left in {}", swept, outputDir);
            }
            return runLocked(outputDir, resume);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TrainResult runLocked(Path outputDir, boolean resume) throws IOException {
        Path newest = Checkpoints.newest(outputDir).orElse(null);
        if (!resume && newest != null) {
            throw new BadInputException(outputDir + ": holds checkpoints already (" + Checkpoints.steps(outputDir)
                    + "); pass --resume to continue that run, or choose another output directory");
        }
        TrainConfig.Optim optim = config.optim();
        int accumulation = optim.gradientAccumulationSteps();
        try (BatchLoader<B> loader = new BatchLoader<>(stage.records(), config.data().batchSize(),
                config.data().shuffle(), config.seed(), config.data().numWorkers(), config.data().prefetch(),
                stage.batchMaker())) {
            int stepsPerEpoch = loader.batchesPerEpoch() / accumulation;
            if (stepsPerEpoch < 1) {
                throw new BadInputException(config.data().annotations() + ": " + loader.batchesPerEpoch()
                        + " batches an epoch, fewer than optim.gradient_accumulation_steps " + accumulation);
            }
            int totalSteps = config.maxSteps() != null ? config.maxSteps() : config.numTrainEpochs() * stepsPerEpoch;
            LrSchedule schedule = schedule(optim, totalSteps, stepsPerEpoch);
            Map<String, Tensor> params = stage.trainableParameters();
            AdamW optimizer = new AdamW(params, new AdamW.Options(optim.lr(), optim.beta1(), optim.beta2(),
                    optim.eps(), optim.weightDecay()));

            stage.lrScales().forEach(optimizer::setLrScale);
            Set<String> skipped = new LinkedHashSet<>();
            stage.skippedRecords().forEach(s -> skipped.add(s.toString()));
            TrainerState state = newest != null && resume ? restore(newest, optimizer)
                    : new TrainerState(0, 0, config.seed() ^ RNG_SALT, 0, 0, List.of(), null, null, null);
            skipped.addAll(state.skippedRecords());
            if (state.step() >= totalSteps) {
                throw new BadInputException(newest + ": the run is done already (" + state.step() + " of "
                        + totalSteps + " steps); raise --max-steps to train on");
            }
            LOG.info("stage {}: {}", stage.stage(), stage.initDescription());
            LOG.info("{} training pairs ({} skipped), {} batches of {} an epoch, {} steps{}", stage.records().size(),
                    stage.skippedRecords().size(), loader.batchesPerEpoch(), config.data().batchSize(), totalSteps,
                    state.step() > 0 ? ", resuming after step " + state.step() + " from " + newest : "");
            LOG.info("{} trainable parameters in {} tensors", params.values().stream()
                    .mapToLong(p -> p.data().length()).sum(), params.size());

            Validation validation = Validation.of(config, stage.stage());
            Integer bestStep = state.bestStep();
            double bestScore = state.bestScore() != null ? state.bestScore() : Double.NaN;
            Rng rng = new Rng(state.rngSeed(), state.rngCounter());
            stage.train(rng);
            long microBatches = state.microBatches();
            loader.seek((int) (microBatches / loader.batchesPerEpoch()), (int) (microBatches % loader.batchesPerEpoch()));
            callbacks.forEach(c -> c.onStart(state.step(), totalSteps));

            List<StepMetrics> done = new ArrayList<>();
            int nonfiniteInRow = state.nonfiniteInRow();
            long started = System.nanoTime();
            long samples = 0;
            long waitedNanos = 0;
            try (MetricsLog metrics = new MetricsLog(outputDir.resolve(Checkpoints.METRICS_FILE))) {
                for (int step = state.step(); step < totalSteps; step++) {
                    double lr = schedule.lr(step);
                    Map<String, Double> sums = new LinkedHashMap<>();
                    int used = 0;
                    for (int k = 0; k < accumulation; k++) {
                        long asked = System.nanoTime();
                        BatchLoader.Loaded<B> loaded = loader.next();
                        waitedNanos += System.nanoTime() - asked;
                        microBatches++;
                        for (SkippedRecord s : loaded.prepared().skipped()) {
                            if (skipped.add(s.toString())) {
                                LOG.warn("skipped {}", s);
                            }
                        }
                        B batch = loaded.prepared().batch();
                        if (batch == null) {
                            continue;
                        }
                        try (var arena = Arena.open("train-step")) {
                            Map<String, Tensor> losses = stage.losses(batch, rng);
                            Tensor total = losses.get("loss");
                            (accumulation == 1 ? total : total.mul(1.0 / accumulation)).backward();
                            losses.forEach((name, value) -> sums.merge(name, value.item(), Double::sum));
                            samples += config.data().batchSize() - loaded.prepared().skipped().size();
                        } finally {
                            stage.release(batch);
                        }
                        used++;
                    }
                    Map<String, Double> means = new LinkedHashMap<>();
                    int n = used;
                    sums.forEach((name, sum) -> means.put(name, sum / n));
                    double loss = used == 0 ? Double.NaN : means.remove("loss");
                    Collection<Tensor> trainable = params.values();
                    double gradNorm = used == 0 ? Double.NaN : optim.maxGradNorm() != null
                            ? GradClip.clipGlobalNorm(trainable, optim.maxGradNorm()) : GradClip.globalNorm(trainable);
                    String skip = null;
                    if (used == 0) {
                        skip = "no usable record in the step's batches";
                    } else if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
                        skip = "non-finite " + (!Double.isFinite(loss) ? "loss (" + loss + ")"
                                : "gradient norm (" + gradNorm + ")");
                        nonfiniteInRow++;
                    }
                    if (skip == null) {
                        optimizer.setLr(lr);
                        optimizer.step();
                        nonfiniteInRow = 0;
                    } else {
                        LOG.warn("step {}: update skipped, {}", step + 1, skip);
                    }
                    optimizer.zeroGrad();
                    double seconds = (System.nanoTime() - started) / 1e9;
                    double epoch = (double) microBatches / loader.batchesPerEpoch();
                    StepMetrics m = new StepMetrics(step + 1, totalSteps, epoch, lr, loss, means, gradNorm, skip,
                            samples / Math.max(seconds, 1e-9), seconds);
                    metrics.append(metricsLine(m));
                    done.add(m);
                    for (TrainingCallback c : callbacks) {
                        c.onStep(m);
                    }
                    if (nonfiniteInRow >= optim.maxNonfiniteSteps()) {
                        throw new TrainingStoppedException(nonfiniteInRow + " steps in a row were not finite (the "
                                + "last, step " + (step + 1) + ": " + skip + "); the last checkpoint is "
                                + Checkpoints.newest(outputDir).map(Path::toString).orElse("none (none was written)")
                                + "; lower optim.lr or set optim.max_grad_norm");
                    }
                    int finished = step + 1;
                    boolean evaluate = validation != null
                            && validation.due(finished, config.saveSteps(), stepsPerEpoch, totalSteps);
                    if (finished % config.saveSteps() == 0 || finished == totalSteps || evaluate) {
                        Evaluated evaluated = new Evaluated(bestStep, bestScore);
                        long micro = microBatches;
                        int inRow = nonfiniteInRow;
                        Path dir = Checkpoints.write(outputDir, finished, tmp -> {
                            stage.saveModel(tmp);
                            if (evaluate) {
                                evaluated.update(evaluate(validation, tmp, finished, metrics, rng));
                            }
                            TrainerState now = new TrainerState(finished, micro, rng.seed(), rng.counter(), inRow,
                                    List.copyOf(skipped), JSON.readTree(config.toJson()), evaluated.bestStep,
                                    evaluated.bestStep == null ? null : evaluated.bestScore);
                            SafetensorsWriter.write(tmp.resolve(Checkpoints.OPTIMIZER_FILE), optimizer.state());
                            Files.copy(outputDir.resolve(Checkpoints.METRICS_FILE),
                                    tmp.resolve(Checkpoints.METRICS_FILE));
                            Files.write(tmp.resolve(Checkpoints.STATE_FILE), JSON.writeValueAsBytes(now));
                        });
                        if (evaluate) {
                            boolean best = evaluated.bestStep == finished;
                            Map<String, Double> figures = evaluated.lastFigures;
                            callbacks.forEach(c -> c.onEvaluation(finished, figures, best));
                        }
                        bestStep = evaluated.bestStep;
                        bestScore = evaluated.bestScore;
                        Checkpoints.prune(outputDir, config.saveTotalLimit(), bestStep);
                        LOG.info("step {}: checkpoint {}", finished, dir);
                        callbacks.forEach(c -> c.onCheckpoint(finished, dir));
                    }
                    MemoryBudget.collectOccasionally();
                }
            }
            StepMetrics last = done.get(done.size() - 1);
            double seconds = (System.nanoTime() - started) / 1e9;
            LOG.info("{} steps in {} s, {} samples/s; {} s of it waiting for the data loader", done.size(),
                    String.format(java.util.Locale.ROOT, "%.1f", seconds),
                    String.format(java.util.Locale.ROOT, "%.1f", samples / seconds),
                    String.format(java.util.Locale.ROOT, "%.2f", waitedNanos / 1e9));
            TrainResult result = new TrainResult(stage.stage(), last.step(), last.loss(), skipped.size(), outputDir,
                    seconds, waitedNanos / 1e9, done, bestStep == null ? null : Checkpoints.pathOf(outputDir, bestStep),
                    bestScore);
            callbacks.forEach(c -> c.onEnd(result));
            return result;
        }
    }

    /** The best checkpoint so far, as an evaluation inside a checkpoint's writing updates it. */
    private static final class Evaluated {
        Integer bestStep;
        double bestScore;
        Map<String, Double> lastFigures;

        Evaluated(Integer bestStep, double bestScore) {
            this.bestStep = bestStep;
            this.bestScore = bestScore;
        }

        void update(Scored s) {
            lastFigures = s.figures();
            if (bestStep == null || s.score() > bestScore) {
                bestStep = s.step();
                bestScore = s.score();
            }
        }
    }

    private record Scored(int step, double score, Map<String, Double> figures) {}

    /** Evaluates the checkpoint being written in {@code dir}, in eval mode, and logs the figures. */
    private Scored evaluate(Validation validation, Path dir, int step, MetricsLog metrics, Rng rng)
            throws IOException {
        long started = System.nanoTime();
        stage.eval();
        Map<String, Double> figures;
        try {
            figures = validation.run(dir, (phase, done, total) -> callbacks.forEach(c -> c.onEvaluationProgress(
                    phase, done, total)));
        } finally {
            stage.train(rng);                              // the same generator: evaluation draws nothing
        }
        double score = validation.score(figures);
        ObjectNode line = JSON.createObjectNode();
        line.put("step", step);
        ObjectNode eval = line.putObject("eval");
        figures.forEach((k, v) -> put(eval, k, v));
        put(eval, "score", score);
        put(eval, "seconds", (System.nanoTime() - started) / 1e9);
        metrics.append(line);
        LOG.info("step {}: validation {} = {} ({})", step, validation.metricName(),
                String.format(java.util.Locale.ROOT, "%.4f", score), figures);
        return new Scored(step, score, figures);
    }

    /** Loads a checkpoint's weights and optimizer state; returns its trainer state. */
    private TrainerState restore(Path checkpoint, AdamW optimizer) throws IOException {
        TrainerState state = JSON.readValue(checkpoint.resolve(Checkpoints.STATE_FILE).toFile(), TrainerState.class);
        requireSameRun(checkpoint, state.config());
        stage.loadModel(checkpoint);
        try (SafetensorsFile file = SafetensorsFile.open(checkpoint.resolve(Checkpoints.OPTIMIZER_FILE))) {
            Map<String, INDArray> saved = new HashMap<>();
            file.tensors().forEach(t -> saved.put(t.name(), file.load(t.name())));
            optimizer.load(saved);
        }
        return state;
    }

    /** A resumed run may run longer or save differently, nothing else: otherwise it would not be the same run. */
    private void requireSameRun(Path checkpoint, JsonNode saved) throws IOException {
        JsonNode now = JSON.readTree(config.toJson());
        List<String> differences = new ArrayList<>();
        diff("", saved, now, differences);
        differences.removeIf(RESUMABLE_CHANGES::contains);
        if (!differences.isEmpty()) {
            throw new BadInputException(checkpoint + ": was trained with another config (" + String.join(", ",
                    differences) + " differ); resume with the config it was started with");
        }
    }

    private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> names = new LinkedHashSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                diff(path.isEmpty() ? name : path + "." + name, a.get(name), b.get(name), out);
            }
        } else if (a == null || b == null ? a != b : !a.equals(b)) {
            out.add(path);
        }
    }

    private static LrSchedule schedule(TrainConfig.Optim optim, int totalSteps, int stepsPerEpoch) {
        return switch (optim.schedule()) {
            case CONSTANT -> new LrSchedule.Constant(optim.lr());
            case LINEAR_WARMUP_COSINE -> new LrSchedule.StepwiseWarmupCosine(optim.lr(), optim.minLr(),
                    optim.warmupLr(), optim.warmupSteps(), totalSteps);
            case LAVIS_LINEAR_WARMUP_COSINE -> new LrSchedule.LinearWarmupCosine(optim.lr(), optim.minLr(),
                    optim.warmupLr(), optim.warmupSteps(), (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch,
                    stepsPerEpoch);
        };
    }

    private static ObjectNode metricsLine(StepMetrics m) {
        ObjectNode line = JSON.createObjectNode();
        line.put("step", m.step());
        put(line, "epoch", m.epoch());
        put(line, "lr", m.lr());
        put(line, "loss", m.loss());
        m.losses().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> put(line, e.getKey(), e.getValue()));
        put(line, "grad_norm", m.gradNorm());
        if (m.skipped() != null) {
            line.put("skipped", m.skipped());
        }
        return line;
    }

    private static void put(ObjectNode line, String name, double value) {
        if (Double.isFinite(value)) {
            line.put(name, value);
        } else {
            line.putNull(name);
        }
    }
}
