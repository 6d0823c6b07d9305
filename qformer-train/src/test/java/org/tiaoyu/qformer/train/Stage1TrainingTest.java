package org.tiaoyu.qformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.pipeline.Blip2Matcher;

class Stage1TrainingTest {

    @TempDir
    Path dir;

    private static TrainResult train(Path config, boolean resume) {
        TrainConfig c = TrainConfig.read(config);
        try (Stage1Training stage = Stage1Training.create(c)) {
            return new Trainer<>(c, stage).addCallback(new LossPlot(c.requireOutputDir())).run(resume);
        }
    }

    private static double mean(List<StepMetrics> steps, String loss) {
        return steps.stream().mapToDouble(m -> loss.equals("loss") ? m.loss() : m.losses().get(loss)).average()
                .orElseThrow();
    }

    @Test
    void theTinyRunLowersTheLossAndItsCheckpointsLoadForInference() throws IOException {
        Path config = TinyRun.stage1(dir, "max_steps=40", "save_steps=10");
        TrainResult r = train(config, false);
        assertEquals(40, r.steps());
        assertEquals(0, r.skippedRecords());
        List<StepMetrics> m = r.metrics();
        double first = mean(m.subList(0, 5), "loss");
        double last = mean(m.subList(35, 40), "loss");
        assertTrue(last < first - 1.0, "loss " + first + " -> " + last);
        assertTrue(mean(m.subList(35, 40), "loss_itg") < mean(m.subList(0, 5), "loss_itg") - 1.0, "ITG learns");

        Path out = dir.resolve("out");
        assertEquals(List.of(30, 40), Checkpoints.steps(out), "the last two are kept");
        assertTrue(Files.size(out.resolve(LossPlot.FILE)) > 1000, "the loss plot is drawn");
        List<JsonNode> lines = MetricsLog.read(out.resolve(Checkpoints.METRICS_FILE));
        assertEquals(40, lines.size());
        JsonNode line = lines.get(39);
        assertEquals(List.of("step", "epoch", "lr", "loss", "loss_itc", "loss_itg", "loss_itm", "grad_norm"),
                fieldNames(line));
        assertEquals(r.finalLoss(), line.get("loss").asDouble(), 0.0, "written so it reads back exactly");
        assertEquals(5.0, line.get("epoch").asDouble(), 1e-12, "64 pairs, 8 batches an epoch");

        // The checkpoint is a stage-1 checkpoint the inference side loads as it is.
        Path checkpoint = out.resolve("checkpoint-40");
        assertTrue(Blip2Config.read(checkpoint).savedAs(Blip2Config.IMAGE_TEXT_RETRIEVAL));
        ImageTextQFormer loaded = ImageTextQFormer.load(checkpoint);
        assertFalse(loaded.temp.data().getDouble(0) == ImageTextQFormer.INITIAL_TEMPERATURE, "temp was saved");
        Path image = TinyRun.repository().resolve("examples/train/tiny-data/images/red_circle_on_white.png");
        try (Blip2Matcher matcher = Blip2Matcher.load(checkpoint)) {
            var scores = matcher.match(image, List.of("a red circle on a white background",
                    "a blue square on a black background"));
            assertEquals(2, scores.size());
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void nonFiniteStepsAreSkippedAndEnoughInARowStopTheRunLeavingTheWeights() {
        TrainConfig c = TrainConfig.read(TinyRun.stage1(dir, "max_steps=10", "optim.max_nonfinite_steps=3"));
        try (Stage1Training stage = Stage1Training.create(c)) {
            stage.addTerm("poison", 1.0, (outputs, batch) -> outputs.textFeat().sum().mul(Double.NaN));
            INDArray before = stage.qformer().queryTokens.data().dup();
            List<StepMetrics> seen = new java.util.ArrayList<>();
            Trainer<Stage1Training.Batch> trainer = new Trainer<>(c, stage).addCallback(new TrainingCallback() {
                @Override
                public void onStep(StepMetrics m) {
                    seen.add(m);
                }
            });
            TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> trainer.run(false));
            assertTrue(e.getMessage().startsWith("3 steps in a row were not finite (the last, step 3: non-finite "
                    + "loss (NaN)); the last checkpoint is none"), e.getMessage());
            assertEquals(3, seen.size());
            seen.forEach(m -> assertTrue(m.skipped().startsWith("non-finite loss"), m.skipped()));
            assertEquals(before, stage.qformer().queryTokens.data(), "no update was applied");
        }
    }

    @Test
    void checkpointsAreNotOverwrittenWithoutResumeNorResumedUnderAnotherConfig() {
        Path config = TinyRun.stage1(dir, "max_steps=2", "save_steps=1");
        train(config, false);
        BadInputException e = assertThrows(BadInputException.class, () -> train(config, false));
        assertTrue(e.getMessage().contains("holds checkpoints already ([1, 2]); pass --resume"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> train(config, true));
        assertTrue(e.getMessage().contains("the run is done already (2 of 2 steps)"), e.getMessage());
        Path other = TinyRun.stage1(dir, "max_steps=4", "save_steps=1", "data.batch_size=4");
        e = assertThrows(BadInputException.class, () -> train(other, true));
        assertTrue(e.getMessage().endsWith("was trained with another config (data.batch_size differ); resume with "
                + "the config it was started with"), e.getMessage());
        TrainResult longer = train(TinyRun.stage1(dir, "max_steps=3", "save_steps=1"), true);
        assertEquals(3, longer.steps(), "a longer run may resume a finished one");
        assertEquals(1, longer.metrics().size());
    }

    @Test
    void badRecordsAreSkippedCountedAndNamedAndNoUsableRecordIsOneClearError() throws IOException {
        Path images = TinyRun.repository().resolve("examples/train/tiny-data/images");
        Files.writeString(dir.resolve("garbage.png"), "not a png");
        StringBuilder manifest = new StringBuilder("{\"image\": \"garbage.png\", \"caption\": \"broken\"}\n");
        try (var files = Files.list(images)) {
            for (Path f : files.sorted().limit(12).toList()) {
                manifest.append("{\"image\": \"").append(f).append("\", \"caption\": \"a picture\"}\n");
            }
        }
        manifest.append("{\"image\": \"missing.png\", \"caption\": \"gone\"}\n");
        manifest.append("{\"image\": \"garbage.png\", \"caption\": \"\"}\n");
        Path file = Files.writeString(dir.resolve("train.jsonl"), manifest);
        TrainResult r = train(TinyRun.stage1(dir, "max_steps=4", "data.annotations=\"" + file + "\"",
                "data.shuffle=false"), false);
        assertEquals(3, r.skippedRecords(), "missing image, empty caption, undecodable image");
        assertEquals(4, r.steps());

        Path none = Files.writeString(dir.resolve("none.jsonl"), "{\"image\": \"missing.png\", \"caption\": \"x\"}\n");
        BadInputException e = assertThrows(BadInputException.class,
                () -> train(TinyRun.stage1(dir, "data.annotations=\"" + none + "\""), false));
        assertEquals(none + ": 0 usable records (1 skipped), fewer than one batch of 8; first skipped: " + none
                + ":1: image missing.png: no such file", e.getMessage());
    }

    @Test
    void gradientAccumulationTakesSeveralBatchesPerStep() {
        TrainResult r = train(TinyRun.stage1(dir, "max_steps=3", "optim.gradient_accumulation_steps=2"), false);
        assertEquals(0.75, r.metrics().get(2).epoch(), 1e-12, "6 of 8 batches");
        assertTrue(Double.isFinite(r.finalLoss()));
    }

    @Test
    void bertInitCopiesBertsTensorsAndSaysSo() throws IOException {
        TrainConfig plain = TrainConfig.read(TinyRun.stage1(dir));
        ImageTextQFormer donor = new ImageTextQFormer(Blip2Config.read(Path.of(plain.model().path())),
                DataType.FLOAT);
        donor.initialize(new Rng(99));
        Map<String, INDArray> bert = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : donor.namedParameters().entrySet()) {
            String n = e.getKey();
            if (n.startsWith("embeddings.")) {
                bert.put("bert." + n, e.getValue().data());
            } else if (n.startsWith("cls.")) {
                bert.put(n, e.getValue().data());
            } else if (n.startsWith("qformer.layernorm.")) {
                bert.put("bert.embeddings.LayerNorm." + n.substring("qformer.layernorm.".length()),
                        e.getValue().data());
            } else if (n.startsWith("qformer.encoder.") && !n.contains("crossattention") && !n.contains("_query")) {
                bert.put("bert." + n.substring("qformer.".length()).replace(".attention.attention.",
                        ".attention.self."), e.getValue().data());
            }
        }
        Path bertDir = Files.createDirectories(dir.resolve("bert"));
        SafetensorsWriter.write(bertDir.resolve("model.safetensors"), bert, Map.of());
        TrainConfig c = TrainConfig.read(TinyRun.stage1(dir, "model.init=\"bert\"",
                "model.bert_path=\"" + bertDir + "\""));
        try (Stage1Training stage = Stage1Training.create(c)) {
            assertTrue(stage.initDescription().startsWith("the Q-Former's BERT parts from " + bertDir),
                    stage.initDescription());
            Map<String, Tensor> p = stage.qformer().namedParameters();
            INDArray text = bert.get("bert.encoder.layer.1.intermediate.dense.weight");
            assertEquals(text, p.get("qformer.encoder.layer.1.intermediate.dense.weight").data());
            assertEquals(text, p.get("qformer.encoder.layer.1.intermediate_query.dense.weight").data(),
                    "the query feed-forward starts as a copy of the text one, as in LAVIS");
        }
        try (Stage1Training scratch = Stage1Training.create(plain)) {
            assertTrue(scratch.initDescription().startsWith("the Q-Former from scratch"), scratch.initDescription());
        }
    }

    @Test
    void featuresFromACacheTrainLnVisionOnlyWhenTheyWereCachedBeforeIt() {
        Path images = TinyRun.repository().resolve("examples/train/tiny-data");
        Path model = Path.of(TrainConfig.read(TinyRun.stage1(dir)).model().path());
        for (boolean before : new boolean[] {true, false}) {
            Path cache = dir.resolve("cache-" + before);
            var tower = org.tiaoyu.qformer.vision.VisionTower.load(model);
            var processor = org.tiaoyu.qformer.vision.image.ImageProcessor.fromModelDir(model);
            new org.tiaoyu.qformer.vision.features.FeatureCacheWriter(tower, processor, model,
                    new org.tiaoyu.qformer.vision.features.FeatureCacheWriter.Settings(
                            org.tiaoyu.qformer.core.io.safetensors.DType.F32, 8, 256, before))
                    .write(org.tiaoyu.qformer.vision.features.ImageSource.list(images.resolve("images")).stream()
                            .map(s -> new org.tiaoyu.qformer.vision.features.ImageSource("images/" + s.id(),
                                    s.file())).toList(), cache, p -> { });
            TrainConfig c = TrainConfig.read(TinyRun.stage1(dir, "max_steps=2", "output_dir=\""
                    + dir.resolve("run-" + before) + "\"", "data.features=\"" + cache + "\""));
            try (Stage1Training stage = Stage1Training.create(c)) {
                assertEquals(before, stage.trainableParameters().containsKey("vision_model.post_layernorm.weight"));
                TrainResult r = new Trainer<>(c, stage).run(false);
                assertTrue(Double.isFinite(r.finalLoss()));
            }
        }
    }

    @Test
    void aCaptionLengthBeyondTheQFormersPositionsIsRefused() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> train(TinyRun.stage1(dir, "data.max_txt_len=100"), false));
        assertTrue(e.getMessage().startsWith("data.max_txt_len: 100 is more than the 64 text positions"),
                e.getMessage());
    }
}
