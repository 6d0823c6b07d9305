package org.tiaoyu.qformer.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.data.AnnotationFormat;
import org.tiaoyu.qformer.data.CaptionCleaner;
import org.tiaoyu.qformer.data.CaptionDataset;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.eval.CaptionMetrics;
import org.tiaoyu.qformer.eval.EvalProgress;
import org.tiaoyu.qformer.eval.ModelPredictions;
import org.tiaoyu.qformer.eval.RetrievalEvaluator;
import org.tiaoyu.qformer.eval.RetrievalGallery;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;

/**
 * Evaluation on the validation split while training ({@link TrainConfig.Eval}), on a checkpoint as it is being
 * written: stage 1 measures retrieval recall with LAVIS's protocol, stage 2 captions the split's images and scores
 * the captions against its references. {@link #score} turns the figures into the one number that picks the best
 * checkpoint.
 */
final class Validation {

    private static final Logger LOG = LoggerFactory.getLogger(Validation.class);

    private final TrainConfig.Eval settings;
    private final int stage;
    private final List<String> metricKeys;
    private final RetrievalGallery gallery;
    private final String prompt;

    private Validation(TrainConfig.Eval settings, int stage, RetrievalGallery gallery, String prompt) {
        this.settings = settings;
        this.stage = stage;
        this.metricKeys = settings.metricKeys(stage);
        this.gallery = gallery;
        this.prompt = prompt;
    }

    /**
     * Reads the validation split; null when the config asks for no evaluation.
     *
     * @throws BadInputException when the split cannot be read or has no usable pair
     */
    static Validation of(TrainConfig config, int stage) {
        TrainConfig.Eval e = config.eval();
        if (e == null) {
            return null;
        }
        // Retrieval texts are cleaned as LAVIS's eval text processor does; caption references stay as written,
        // for pycocoevalcap tokenises them itself.
        CaptionCleaner cleaner = stage == 1 ? new CaptionCleaner(config.data().maxWords()) : null;
        CaptionDataset split = CaptionDataset.read(Path.of(e.annotations()), AnnotationFormat.parse(e.format()),
                e.imageRoot() == null ? null : Path.of(e.imageRoot()), cleaner, r -> java.nio.file.Files
                        .isRegularFile(r.file()) ? null : "no such file");
        split.skipped().forEach(s -> LOG.warn("validation: skipped {}", s));
        if (split.records().isEmpty()) {
            throw new BadInputException(e.annotations() + ": no usable validation pair (eval.annotations, "
                    + split.skipped().size() + " skipped)");
        }
        RetrievalGallery gallery = RetrievalGallery.of(split.records());
        LOG.info("validation: {} images, {} captions; the best checkpoint by {}", gallery.imageCount(),
                gallery.textCount(), String.join("+", e.metricKeys(stage)));
        return new Validation(e, stage, gallery, config.model().prompt());
    }

    boolean due(int finished, int saveSteps, int stepsPerEpoch, int totalSteps) {
        return settings.due(finished, saveSteps, stepsPerEpoch, totalSteps);
    }

    /** The figures of the model in {@code checkpoint} (a complete model directory). */
    Map<String, Double> run(Path checkpoint, EvalProgress progress) {
        if (stage == 1) {
            return RetrievalEvaluator.evaluate(checkpoint, gallery, new RetrievalEvaluator.Settings(
                    settings.kTest(), settings.batchSize()), progress).metrics().asMap();
        }
        return captionFigures(checkpoint, progress);
    }

    /** Stage 2: one caption per image (the training prompt, the configured decoding), scored as pycocoevalcap does. */
    private Map<String, Double> captionFigures(Path checkpoint, EvalProgress progress) {
        GenerationConfig decoding = GenerationConfig.builder().numBeams(settings.numBeams())
                .maxNewTokens(settings.maxNewTokens()).minNewTokens(settings.minNewTokens()).build();
        List<String> captions;
        try (Blip2Captioner captioner = Blip2Captioner.load(checkpoint)) {
            captions = ModelPredictions.captions(captioner, gallery.images().stream().map(CaptionRecord::file)
                    .toList(), prompt, decoding, settings.batchSize(), progress);
        }
        Map<Integer, List<String>> references = new LinkedHashMap<>();
        Map<Integer, String> predictions = new LinkedHashMap<>();
        for (int i = 0; i < gallery.imageCount(); i++) {
            references.put(i, Arrays.stream(gallery.textsOfImage()[i]).mapToObj(gallery.texts()::get).toList());
            predictions.put(i, captions.get(i));
        }
        return CaptionMetrics.tokenizing().evaluate(references, predictions).corpus().asMap();
    }

    /** The sum of the metric's keys: what "best" maximises. */
    double score(Map<String, Double> figures) {
        double sum = 0;
        for (String key : metricKeys) {
            Double value = figures.get(key);
            if (value == null) {
                throw new IllegalStateException("eval.metric " + key + " is not among " + figures.keySet());
            }
            sum += value;
        }
        return sum;
    }

    /** The metric's name as the logs show it. */
    String metricName() {
        return String.join("+", metricKeys);
    }
}
