package org.tiaoyu.qformer.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.data.CaptionDataset;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.data.SkippedRecord;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;

/**
 * What both BLIP-2 stages share: the config, the model directory whose files a checkpoint copies, the visual input,
 * the tokenizer, the training pairs and how the model was initialised.
 *
 * @param <B> the stage's batch
 */
abstract class CaptionTrainingStage<B> implements TrainingStage<B> {

    final TrainConfig config;
    final Path modelDir;
    final VisualInput visual;
    final HfTokenizer tokenizer;
    private final String initDescription;
    private final CaptionDataset dataset;

    /** Reads the training pairs, those whose images {@code visual} cannot use skipped. */
    CaptionTrainingStage(TrainConfig config, Path modelDir, VisualInput visual, HfTokenizer tokenizer,
            String initDescription) {
        this.config = config;
        this.modelDir = modelDir;
        this.visual = visual;
        this.tokenizer = tokenizer;
        this.initDescription = initDescription;
        this.dataset = TrainingData.read(config.data(), visual);
    }

    @Override
    public String initDescription() {
        return initDescription;
    }

    @Override
    public List<CaptionRecord> records() {
        return dataset.records();
    }

    @Override
    public List<SkippedRecord> skippedRecords() {
        return dataset.skipped();
    }

    @Override
    public Map<String, Double> lrScales() {
        return visual.layerDecayScales(config.optim().layerDecay());
    }

    /**
     * Writes {@code model.safetensors} — the vision tower's tensors ({@code vision_model.…}), then {@code tensors} —
     * and copies the model directory's config, tokenizer and processor files.
     */
    void writeModel(Path dir, Map<String, INDArray> tensors) {
        Map<String, INDArray> all = new LinkedHashMap<>();
        visual.tower.namedParameters().forEach((name, p) -> all.put("vision_model." + name, p.data()));
        all.putAll(tensors);
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), all, Map.of("format", "pt"));
        ModelFiles.copy(modelDir, dir);
    }

    @Override
    public void close() {
        tokenizer.close();
        visual.close();
    }
}
