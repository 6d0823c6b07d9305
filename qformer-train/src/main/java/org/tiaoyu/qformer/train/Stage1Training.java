package org.tiaoyu.qformer.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.StateDict;
import org.tiaoyu.qformer.core.qformer.BertInitializer;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.core.qformer.Stage1Loss;
import org.tiaoyu.qformer.data.BatchLoader;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * BLIP-2 stage 1 as LAVIS trains it ({@code Blip2Qformer}): the frozen vision tower, or its features from a feature
 * cache, feeds the Q-Former, trained with ITC + ITM + ITG ({@link Stage1Loss}) and any terms added. The vision
 * tower's last LayerNorm ({@code post_layernorm}, LAVIS's {@code ln_vision}) trains too, as in LAVIS, unless the
 * config says not to or the features were cached after it ({@link VisualInput}).
 *
 * <p>Its model is saved as a stage-1 checkpoint (DESIGN §3): the {@code Blip2ForImageTextRetrieval} layout of
 * {@code model.path} with {@code temp} and the ITG head, plus that directory's config, tokenizer and processor
 * files, so {@code qformer match}, {@code retrieval} and {@code stage1-losses} take it as it is.
 */
public final class Stage1Training extends CaptionTrainingStage<Stage1Training.Batch> {

    /**
     * A batch as a step takes it.
     *
     * @param visual        pixel values [B, 3, S, S], or cached features [B, N, D]
     * @param inputIds      Q-Former ids [B, T] ({@code [CLS] … [SEP]}, right-padded)
     * @param attentionMask [B, T]
     * @param imageIds      which rows show the same image
     */
    public record Batch(INDArray visual, INDArray inputIds, INDArray attentionMask, long[] imageIds) {}

    private final ImageTextQFormer qformer;
    private final Stage1Loss objective;

    private Stage1Training(TrainConfig config, Path modelDir, VisualInput visual, ImageTextQFormer qformer,
            HfTokenizer tokenizer, String initDescription) {
        super(config, modelDir, visual, tokenizer, initDescription);
        this.qformer = qformer;
        long bos = tokenizer.specialIds().bos().orElseThrow(() -> new BadInputException(modelDir
                + ": the tokenizer has no bos token, which ITG needs as its [DEC] start token"));
        long pad = tokenizer.specialIds().pad().orElseThrow(() -> new BadInputException(modelDir
                + ": the tokenizer has no pad token"));
        this.objective = new Stage1Loss(qformer, bos, pad).weights(new Stage1Loss.Weights(config.loss().itc(),
                config.loss().itm(), config.loss().itg()));
    }

    /**
     * Loads the model as {@code config.model()} says, and reads the data.
     *
     * @throws BadInputException for a missing or unusable model, data file or feature cache, or no usable record
     */
    public static Stage1Training create(TrainConfig config) {
        config.forStage(1);
        TrainConfig.Model m = config.model();
        Path modelDir = Path.of(m.path());
        Blip2Config blip2 = Blip2Config.read(modelDir);
        if (m.dropout() != null) {
            blip2 = blip2.withQFormer(blip2.qformer().withDropout(m.dropout()));
        }
        int positions = blip2.qformer().maxPositionEmbeddings();
        if (config.data().maxTxtLen() > positions) {
            throw new BadInputException("data.max_txt_len: " + config.data().maxTxtLen() + " is more than the "
                    + positions + " text positions of the Q-Former in " + modelDir);
        }
        ImageTextQFormer qformer;
        String init;
        switch (m.init()) {
            case CHECKPOINT -> {
                qformer = ImageTextQFormer.load(modelDir, blip2);
                init = "every weight from the checkpoint " + modelDir;
            }
            case BERT -> {
                qformer = new ImageTextQFormer(blip2, DataType.FLOAT);
                qformer.initialize(new Rng(config.seed()));
                try (Checkpoint bert = Checkpoint.open(Path.of(m.bertPath()))) {
                    List<String> loaded = BertInitializer.load(qformer, bert);
                    init = "the Q-Former's BERT parts from " + m.bertPath() + " (" + loaded.size()
                            + " tensors), the rest at random (seed " + config.seed() + "); vision tower from "
                            + modelDir;
                }
            }
            case SCRATCH -> {
                qformer = new ImageTextQFormer(blip2, DataType.FLOAT);
                qformer.initialize(new Rng(config.seed()));
                init = "the Q-Former from scratch (random, seed " + config.seed() + ") to the shape in " + modelDir
                        + "/config.json; vision tower from " + modelDir;
            }
            default -> throw new IllegalStateException("forStage(1) lets no " + m.init() + " through");
        }
        VisualInput visual = new VisualInput(Blip2VisionTower.load(modelDir), ImageProcessor.fromModelDir(modelDir),
                config.data(), m);
        return new Stage1Training(config, modelDir, visual, qformer, HfTokenizer.load(modelDir), init);
    }

    /** Adds a loss term of one's own to the objective ({@link Stage1Loss#addTerm}). */
    public Stage1Training addTerm(String name, double weight, Stage1Loss.Term term) {
        objective.addTerm(name, weight, term);
        return this;
    }

    /** The Q-Former being trained. */
    public ImageTextQFormer qformer() {
        return qformer;
    }

    @Override
    public int stage() {
        return 1;
    }

    @Override
    public BatchLoader.BatchMaker<Batch> batchMaker() {
        int maxTxtLen = config.data().maxTxtLen();
        return (records, rngs) -> {
            VisualInput.Prepared p = visual.prepare(records, rngs);
            if (p.usable().size() < 2) {
                return new BatchLoader.Prepared<>(null, p.skipped());
            }
            EncodedBatch text;
            synchronized (tokenizer) {
                text = tokenizer.encodeBatch(p.usable().stream().map(CaptionRecord::caption).toList(),
                        PaddingSide.RIGHT, maxTxtLen);
            }
            long[] imageIds = p.usable().stream().mapToLong(CaptionRecord::imageId).toArray();
            return new BatchLoader.Prepared<>(new Batch(p.visual(), text.inputIdsArray(), text.attentionMaskArray(),
                    imageIds), p.skipped());
        };
    }

    @Override
    public Map<String, Tensor> trainableParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>(visual.trainableParameters());
        out.putAll(qformer.trainableParameters());
        return out;
    }

    @Override
    public void train(Rng rng) {
        qformer.train(rng);
    }

    @Override
    public void eval() {
        qformer.eval();
    }

    @Override
    public Map<String, Tensor> losses(Batch batch, Rng rng) {
        Stage1Loss.Result r = objective.compute(new Stage1Loss.Batch(visual.embeds(batch.visual()), batch.inputIds(),
                batch.attentionMask(), batch.imageIds()), rng);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("loss", r.loss());
        out.put("loss_itc", r.itc().loss());
        if (r.itm() != null) {
            out.put("loss_itm", r.itm().loss());
        }
        if (r.itg() != null) {
            out.put("loss_itg", r.itg().loss());
        }
        r.terms().forEach((name, value) -> out.put("loss_" + name, value));
        return out;
    }

    @Override
    public void release(Batch batch) {
        Arena.release(batch.visual(), batch.inputIds(), batch.attentionMask());
    }

    @Override
    public void saveModel(Path dir) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        qformer.namedParameters().forEach((name, p) -> tensors.put(name, p.data()));
        writeModel(dir, tensors);
    }

    @Override
    public void loadModel(Path dir) {
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            StateDict.load(visual.tower, checkpoint, "vision_model.", false);
            StateDict.LoadReport report = StateDict.load(qformer, checkpoint, "", false);
            if (!report.missing().isEmpty()) {
                throw new BadInputException(dir + ": " + report.missing().size() + " tensors missing (first "
                        + report.missing().get(0) + ")");
            }
        }
    }

}
