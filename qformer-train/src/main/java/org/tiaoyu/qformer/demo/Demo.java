package org.tiaoyu.qformer.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.data.CaptionCleaner;
import org.tiaoyu.qformer.data.CaptionDataset;
import org.tiaoyu.qformer.eval.EvalProgress;
import org.tiaoyu.qformer.eval.GalleryImageEncoder;
import org.tiaoyu.qformer.eval.ModelPredictions;
import org.tiaoyu.qformer.eval.RetrievalEvaluator;
import org.tiaoyu.qformer.eval.RetrievalGallery;
import org.tiaoyu.qformer.eval.RetrievalMetrics;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.train.LossPlot;
import org.tiaoyu.qformer.train.Stage1Training;
import org.tiaoyu.qformer.train.Stage2Training;
import org.tiaoyu.qformer.train.TrainConfig;
import org.tiaoyu.qformer.train.TrainResult;
import org.tiaoyu.qformer.train.Trainer;
import org.tiaoyu.qformer.train.TrainingCallback;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.image.ImageInput;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * BLIP-2 trained end to end on one machine, on the generated shapes data ({@link ShapesDataset}): a tiny ViT and a
 * tiny OPT-style language model are pretrained and frozen ({@link EncoderPretraining}), then the library's own
 * trainer runs stage 1 (ITC + ITM + ITG) and stage 2 (the soft prompt of the frozen language model), and its own
 * evaluation measures, on pictures whose colour–form pairs training never showed, text→image and image→text
 * recall@1 in a gallery and caption accuracy (a caption counts when it names every attribute right) — before and
 * after training, beside chance.
 */
public final class Demo {

    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);

    /**
     * No prompt: the language model was pretrained on bare captions, and a caption is all the demo asks for (LAVIS's
     * "a photo of" would come before the caption without a space, as its code joins them).
     */
    static final String PROMPT = "";

    /**
     * @param seed          everything random in the run follows from it
     * @param trainImages   pictures of the training split
     * @param galleryImages held-out pictures of different scenes, for retrieval and captions
     * @param visionSteps   pretraining steps of the vision tower
     * @param languageSteps pretraining steps of the language model
     * @param stage1Steps   stage-1 steps
     * @param stage2Steps   stage-2 steps
     */
    public record Settings(long seed, int trainImages, int galleryImages, int visionSteps, int languageSteps,
            int stage1Steps, int stage2Steps) {

        /** The default run: within 10 minutes on 2 cores. */
        public static Settings standard() {
            return new Settings(2026, 3000, 100, 600, 300, 1500, 1200);
        }

        /** The smoke run (well under a minute): enough to beat chance, not to reach the default's figures. */
        public static Settings quick() {
            return new Settings(2026, 600, 30, 150, 100, 150, 100);
        }
    }

    /**
     * @param t2iR1             text→image recall@1 in the gallery, 0 to 1
     * @param i2tR1             image→text recall@1
     * @param captionAccuracy   the share of held-out pictures captioned with every attribute right
     * @param attributeAccuracy the share of the seven attributes the captions name right (0 for a caption that is
     *                          not one of the demo's)
     */
    public record Figures(double t2iR1, double i2tR1, double captionAccuracy, double attributeAccuracy) {}

    /** How many of a scene's seven attributes a caption names right. */
    static int attributesRight(ShapeScene truth, String caption) {
        return ShapeScene.parse(caption).map(c -> {
            long[] a = EncoderPretraining.labels(truth);
            long[] b = EncoderPretraining.labels(c);
            int right = 0;
            for (int i = 0; i < a.length; i++) {
                right += a[i] == b[i] ? 1 : 0;
            }
            return right;
        }).orElse(0);
    }

    /**
     * @param before   the untrained BLIP-2 (pretrained frozen encoders, random Q-Former and projection)
     * @param after    after stage 1 (retrieval) and stage 2 (captions)
     * @param chance   what guessing scores
     * @param examples held-out pictures with their reference and generated captions
     */
    public record Result(Figures before, Figures after, Figures chance, List<Example> examples,
            TrainResult stage1, TrainResult stage2, double seconds, Path outputDir) {}

    /** One held-out picture: its file, the caption that says what it shows, and the one the model wrote. */
    public record Example(Path image, String reference, String generated, boolean right) {}

    /** Hears the run: which phase it is in, each pretraining and training step, the evaluations. */
    public interface Progress extends TrainingCallback {
        /** Phase {@code index} of {@code total} starts. */
        void phase(String name, int index, int total);

        /** A pretraining step of the vision tower or the language model is done. */
        void pretrainingStep(String model, int step, int steps, double loss);
    }

    private static final String[] PHASES = {"data", "pretrain vision", "pretrain language", "before training",
        "stage 1", "stage 2", "evaluation"};

    private Demo() {}

    /** Runs the demo in {@code outputDir} (which must not hold a previous run). */
    public static Result run(Settings s, Path outputDir, Progress progress) throws java.io.IOException {
        long started = System.nanoTime();
        Files.createDirectories(outputDir);
        Rng rng = new Rng(s.seed());

        progress.phase(PHASES[0], 1, PHASES.length);
        List<ShapesDataset.Sample> train = ShapesDataset.sample(ShapesDataset.Split.TRAIN, s.trainImages(), s.seed());
        List<ShapesDataset.Sample> held = ShapesDataset.distinctSample(ShapesDataset.Split.HELD_OUT,
                s.galleryImages(), s.seed() + 1);
        Path trainManifest = ShapesDataset.write(outputDir.resolve("data/train"), train);
        Path heldManifest = ShapesDataset.write(outputDir.resolve("data/held-out"), held);

        Blip2Config config = DemoModels.parsedConfig();
        Blip2VisionTower tower = DemoModels.newVisionTower(config, rng);
        Path retrievalDir = outputDir.resolve("models/retrieval");
        DemoModels.writeRetrieval(retrievalDir, tower);                      // for its processor files first
        ImageProcessor processor = ImageProcessor.fromModelDir(retrievalDir);
        INDArray pixels = processor.process(train.stream().map(x -> ImageInput.of(x.image())).toList());

        progress.phase(PHASES[1], 2, PHASES.length);
        double visionAccuracy = EncoderPretraining.trainVision(tower, pixels, train.stream()
                .map(ShapesDataset.Sample::scene).toList(), s.visionSteps(), 32, 2e-3, s.seed() + 2,
                progress::pretrainingStep);
        LOG.info("vision tower pretrained: {} of the attributes of the training pictures right",
                String.format(java.util.Locale.ROOT, "%.3f", visionAccuracy));
        DemoModels.writeRetrieval(retrievalDir, tower);

        progress.phase(PHASES[2], 3, PHASES.length);
        OptForCausalLm lm = DemoModels.newLanguageModel(config, rng);
        Path generationDir = Files.createDirectories(outputDir.resolve("models/generation"));
        DemoTokenizers.writeLanguageModel(generationDir);                   // the tokenizer now, the weights after
        double lmLoss;
        try (HfTokenizer tokenizer = HfTokenizer.load(generationDir)) {
            lmLoss = EncoderPretraining.trainLanguage(lm, tokenizer, train.stream().map(ShapesDataset.Sample::scene)
                    .toList(), s.languageSteps(), 32, 2e-3, s.seed() + 3,
                    progress::pretrainingStep);
        }
        LOG.info("language model pretrained: loss {} per token", String.format(java.util.Locale.ROOT, "%.3f",
                lmLoss));
        DemoModels.writeGeneration(generationDir, tower, lm);

        progress.phase(PHASES[3], 4, PHASES.length);
        RetrievalGallery gallery = RetrievalGallery.of(CaptionDataset.read(heldManifest, null, null,
                new CaptionCleaner(CaptionCleaner.DEFAULT_MAX_WORDS), r -> null).records());
        ImageTextQFormer untrained = new ImageTextQFormer(config, DataType.FLOAT);
        untrained.initialize(new Rng(s.seed() + 4));
        RetrievalMetrics beforeRecall;
        try (HfTokenizer tokenizer = HfTokenizer.load(retrievalDir)) {
            beforeRecall = new RetrievalEvaluator(untrained, tokenizer, GalleryImageEncoder.of(tower, processor),
                    settings(s)).evaluate(gallery, EvalProgress.NONE).metrics();
        }
        Path untrainedDir = outputDir.resolve("models/untrained");
        DemoModels.writeUntrainedGeneration(untrainedDir, config, tower, lm, new Rng(s.seed() + 5));
        Path heldImages = heldManifest.getParent();
        double[] beforeCaptions = captionAccuracy(untrainedDir, heldImages, held, null);

        progress.phase(PHASES[4], 5, PHASES.length);
        TrainConfig stage1Config = stage1Config(s, outputDir, retrievalDir, trainManifest);
        TrainResult stage1;
        try (Stage1Training stage = Stage1Training.create(stage1Config)) {
            stage1 = new Trainer<>(stage1Config, stage).addCallback(progress)
                    .addCallback(new LossPlot(stage1Config.requireOutputDir())).run(false);
        }
        Path stage1Checkpoint = outputDir.resolve("stage1/checkpoint-" + s.stage1Steps());

        progress.phase(PHASES[5], 6, PHASES.length);
        TrainConfig stage2Config = stage2Config(s, outputDir, generationDir, trainManifest, stage1Checkpoint);
        TrainResult stage2;
        try (Stage2Training stage = Stage2Training.create(stage2Config)) {
            stage2 = new Trainer<>(stage2Config, stage).addCallback(progress)
                    .addCallback(new LossPlot(stage2Config.requireOutputDir())).run(false);
        }
        Path stage2Checkpoint = outputDir.resolve("stage2/checkpoint-" + s.stage2Steps());

        progress.phase(PHASES[6], 7, PHASES.length);
        RetrievalMetrics afterRecall = RetrievalEvaluator.evaluate(stage1Checkpoint, gallery, settings(s),
                progress::onEvaluationProgress).metrics();
        List<Example> examples = new ArrayList<>();
        double[] afterCaptions = captionAccuracy(stage2Checkpoint, heldImages, held, examples);

        Figures before = new Figures(beforeRecall.imgR1() / 100, beforeRecall.txtR1() / 100, beforeCaptions[0],
                beforeCaptions[1]);
        Figures after = new Figures(afterRecall.imgR1() / 100, afterRecall.txtR1() / 100, afterCaptions[0],
                afterCaptions[1]);
        Figures chance = new Figures(1.0 / gallery.imageCount(), 1.0 / gallery.textCount(), chanceOfACaption(),
                chanceOfAnAttribute());
        return new Result(before, after, chance, examples, stage1, stage2, (System.nanoTime() - started) / 1e9,
                outputDir);
    }

    private static RetrievalEvaluator.Settings settings(Settings s) {
        return new RetrievalEvaluator.Settings(Math.min(16, s.galleryImages()), 32);
    }

    /**
     * The share of pictures whose generated caption names every attribute right, and the share of attributes named
     * right; fills {@code examples}.
     */
    private static double[] captionAccuracy(Path modelDir, Path dataDir, List<ShapesDataset.Sample> held,
            List<Example> examples) {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < held.size(); i++) {
            files.add(dataDir.resolve(ShapesDataset.imageName(i)));
        }
        GenerationConfig decoding = GenerationConfig.builder().numBeams(3).maxNewTokens(16).minNewTokens(1).build();
        List<String> captions;
        try (Blip2Captioner captioner = Blip2Captioner.load(modelDir)) {
            captions = ModelPredictions.captions(captioner, files, PROMPT, decoding, 16, EvalProgress.NONE);
        }
        int right = 0;
        int attributes = 0;
        for (int i = 0; i < held.size(); i++) {
            ShapeScene truth = held.get(i).scene();
            boolean ok = ShapeScene.parse(captions.get(i)).map(truth::equals).orElse(false);
            right += ok ? 1 : 0;
            attributes += attributesRight(truth, captions.get(i));
            if (examples != null) {
                examples.add(new Example(files.get(i), truth.caption(), captions.get(i), ok));
            }
        }
        return new double[] {(double) right / held.size(), attributes / (7.0 * held.size())};
    }

    /** Guessing one attribute: the mean over the seven of 1 / its number of values. */
    static double chanceOfAnAttribute() {
        double sum = 0;
        for (int classes : EncoderPretraining.HEADS) {
            sum += 1.0 / classes;
        }
        return sum / EncoderPretraining.HEADS.length;
    }

    /** Guessing each of the seven attributes: (1/2 · 1/4 · 1/3)² · 1/2. */
    static double chanceOfACaption() {
        double shape = 1.0 / (ShapeScene.SIZES.size() * ShapeScene.COLOURS.size() * ShapeScene.FORMS.size());
        return shape * shape / ShapeScene.RELATIONS.size();
    }

    private static TrainConfig stage1Config(Settings s, Path out, Path model, Path manifest) {
        return new TrainConfig(out.resolve("stage1").toString(), s.seed(), s.stage1Steps(), null, s.stage1Steps(), 1,
                new TrainConfig.Model(TrainConfig.Init.SCRATCH, model.toString(), null, null, null, false, true, 0.0),
                data(manifest), new TrainConfig.Loss(null, null, null),
                optim(s.stage1Steps(), 1e-3), null);
    }

    private static TrainConfig stage2Config(Settings s, Path out, Path model, Path manifest, Path stage1) {
        return new TrainConfig(out.resolve("stage2").toString(), s.seed(), s.stage2Steps(), null, s.stage2Steps(), 1,
                new TrainConfig.Model(TrainConfig.Init.STAGE1, model.toString(), null, stage1.toString(), PROMPT,
                        false, true, 0.0),
                data(manifest), new TrainConfig.Loss(null, null, null), optim(s.stage2Steps(), 1e-3), null);
    }

    /** No augmentation: a random crop or flip would change what the caption says (sizes, left and right). */
    private static TrainConfig.Data data(Path manifest) {
        return new TrainConfig.Data(manifest.toString(), "jsonl", null, null, 32, 2, null, true, false, 20, null);
    }

    private static TrainConfig.Optim optim(int steps, double lr) {
        return new TrainConfig.Optim(lr, lr / 10, lr / 100, Math.max(1, steps / 10), null, 0.05, null, null, null,
                1.0, null, null, null);
    }
}
