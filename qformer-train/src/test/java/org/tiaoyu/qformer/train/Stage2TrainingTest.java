package org.tiaoyu.qformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.pipeline.Caption;

class Stage2TrainingTest {

    @TempDir
    Path dir;

    private static TrainResult train(TrainConfig c) {
        try (Stage2Training stage = Stage2Training.create(c)) {
            return new Trainer<>(c, stage).run(false);
        }
    }

    @Test
    void theTinyRunLowersTheLanguageModelLossAndItsCheckpointCaptions() {
        TrainResult r = train(TrainConfig.read(TinyRun.stage2(dir, "max_steps=30", "save_steps=30")));
        List<StepMetrics> m = r.metrics();
        double first = m.subList(0, 5).stream().mapToDouble(StepMetrics::loss).average().orElseThrow();
        double last = m.subList(25, 30).stream().mapToDouble(StepMetrics::loss).average().orElseThrow();
        assertTrue(last < first - 1.5, "loss " + first + " -> " + last);
        assertEquals(m.get(29).loss(), m.get(29).losses().get("loss_lm"), 0.0);

        Path checkpoint = dir.resolve("out/checkpoint-30");
        try (Checkpoint saved = Checkpoint.open(checkpoint);
                Checkpoint original = Checkpoint.open(TinyRun.repository().resolve("testdata/e2e/caption_model"))) {
            assertNotEquals(original.load("language_projection.weight"), saved.load("language_projection.weight"),
                    "the trained soft prompt is what the checkpoint holds");
            assertEquals(original.load("language_model.model.decoder.embed_tokens.weight"),
                    saved.load("language_model.model.decoder.embed_tokens.weight"), "the language model is frozen");
        }
        try (Blip2Captioner captioner = Blip2Captioner.load(checkpoint)) {
            Caption caption = captioner.caption(TinyRun.repository()
                    .resolve("examples/train/tiny-data/images/red_circle_on_white.png"));
            assertTrue(caption.text() != null, "a caption comes out");
        }
    }

    @Test
    void labelsLeaveOutTheBosThePromptAndThePaddingAndTheTextEndsWithANewline() {
        TrainConfig c = TrainConfig.read(TinyRun.stage2(dir, "model.prompt=\"a photo of \""));
        try (Stage2Training stage = Stage2Training.create(c)) {
            List<CaptionRecord> records = stage.records().subList(0, 2);
            Stage2Training.Batch b = stage.batchMaker().make(records, List.of(new Rng(1), new Rng(2))).batch();
            try (var tokenizer = org.tiaoyu.qformer.lm.tokenizer.HfTokenizer.load(Path.of(c.model().path()))) {
                long[] prompt = tokenizer.encode("a photo of ");
                long[] full = tokenizer.encode("a photo of " + records.get(0).caption() + "\n");
                INDArray ids = b.inputIds();
                for (int t = 0; t < full.length; t++) {
                    assertEquals(full[t], ids.getLong(0, t));
                    assertEquals(t < prompt.length ? -100 : full[t], b.labels()[0][t], "position " + t);
                }
                for (int t = 0; t < b.labels()[1].length; t++) {
                    if (b.attentionMask().getLong(1, t) == 0) {
                        assertEquals(-100, b.labels()[1][t], "padding at " + t);
                    }
                }
                assertEquals(tokenizer.encode("\n")[tokenizer.encode("\n").length - 1], full[full.length - 1]);
            }
        }
    }

    @Test
    void startsFromAStage1CheckpointAndSaysSo() {
        Path stage1Dir = dir.resolve("s1");
        stage1Dir.toFile().mkdirs();
        TrainConfig s1 = TrainConfig.read(TinyRun.stage1(stage1Dir, "max_steps=2", "save_steps=2"));
        try (Stage1Training stage = Stage1Training.create(s1)) {
            new Trainer<>(s1, stage).run(false);
        }
        Path checkpoint = stage1Dir.resolve("out/checkpoint-2");
        TrainConfig c = TrainConfig.read(TinyRun.stage2(dir, "model.init=\"stage1\"", "model.qformer_path=\""
                + checkpoint + "\"", "max_steps=2"));
        try (Stage2Training stage = Stage2Training.create(c);
                Checkpoint trained = Checkpoint.open(checkpoint)) {
            assertTrue(stage.initDescription().startsWith("the Q-Former, queries and vision tower from the stage-1 "
                    + "checkpoint " + checkpoint), stage.initDescription());
            assertEquals(trained.load("qformer.encoder.layer.0.crossattention.attention.key.weight"),
                    stage.trainableParameters().get("qformer.encoder.layer.0.crossattention.attention.key.weight")
                            .data());
            assertEquals(trained.load("vision_model.post_layernorm.weight"),
                    stage.trainableParameters().get("vision_model.post_layernorm.weight").data(),
                    "ln_vision as stage 1 trained it");
            TrainResult r = new Trainer<>(c, stage).run(false);
            assertTrue(Double.isFinite(r.finalLoss()));
        }
    }

    /** LAVIS leaves the frozen language model in training mode: its own dropout changes the loss. */
    @Test
    void theFrozenLanguageModelKeepsItsDropoutWhileTraining() throws java.io.IOException {
        Path original = TinyRun.repository().resolve("testdata/e2e/caption_model");
        Path model = java.nio.file.Files.createDirectories(dir.resolve("dropout_model"));
        try (var files = java.nio.file.Files.list(original)) {
            for (Path f : files.toList()) {
                java.nio.file.Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        setTextConfig(model, "dropout", 0.3);

        double[] withoutDropout = lossesWithTwoSeeds(original);
        assertEquals(withoutDropout[0], withoutDropout[1], 0.0, "no dropout anywhere: the seed changes nothing");
        double[] withDropout = lossesWithTwoSeeds(model);
        assertNotEquals(withDropout[0], withDropout[1], "the language model's dropout draws from the seed");
    }

    /** Sets one field of the language model's config in a model directory. */
    private static void setTextConfig(Path model, String field, double value) throws java.io.IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(model.resolve("config.json")
                .toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) config.get("text_config")).put(field, value);
        json.writeValue(model.resolve("config.json").toFile(), config);
    }

    /** The stage-2 loss of one batch in training mode under two random sources, the Q-Former's dropout off. */
    private double[] lossesWithTwoSeeds(Path model) {
        TrainConfig c = TrainConfig.read(TinyRun.stage2(dir, "model.path=\"" + model + "\"", "model.dropout=0.0"));
        try (Stage2Training stage = Stage2Training.create(c)) {
            Stage2Training.Batch b = stage.batchMaker().make(stage.records().subList(0, 2),
                    List.of(new Rng(1), new Rng(2))).batch();
            double[] out = new double[2];
            for (int i = 0; i < 2; i++) {
                Rng rng = new Rng(100 + i);
                stage.train(rng);
                out[i] = stage.losses(b, rng).get("loss").item();
            }
            return out;
        }
    }

    private static double lossOnAllRecords(Stage2Training stage) {
        List<Rng> rngs = stage.records().stream().map(r -> new Rng(1)).toList();
        Stage2Training.Batch all = stage.batchMaker().make(stage.records(), rngs).batch();
        stage.eval();
        try (var off = org.tiaoyu.qformer.core.autograd.Grad.off()) {
            return stage.losses(all, new Rng(1)).get("loss").item();
        }
    }

    /** Flan-T5: the encoder reads [queries ; prompt], the decoder learns the caption (prefix language modelling). */
    @Test
    void aFlanT5ModelLearnsToCaptionAsAPrefixLanguageModel() throws java.io.IOException {
        Path model = java.nio.file.Files.createDirectories(dir.resolve("t5"));
        org.tiaoyu.qformer.pipeline.TinyT5Directory.write(model);
        setTextConfig(model, "dropout_rate", 0.0);     // the wiring is under test here, not the dropout
        Path images = TinyRun.repository().resolve("examples/train/tiny-data/images");
        // One caption for every image: a frozen random 8-wide T5 can be steered to it within a test's steps.
        StringBuilder manifest = new StringBuilder();
        try (var files = java.nio.file.Files.list(images)) {
            files.sorted().limit(16).forEach(image -> manifest.append("{\"image\": \"").append(image)
                    .append("\", \"caption\": \"a photo of the cat\"}\n"));
        }
        Path annotations = java.nio.file.Files.writeString(dir.resolve("t5.jsonl"), manifest);
        TrainConfig c = TrainConfig.read(TinyRun.stage2(dir, "model.path=\"" + model + "\"",
                "data.annotations=\"" + annotations + "\"", "model.prompt=\"a photo of\"", "max_steps=20",
                "save_steps=20", "optim.lr=0.005"));
        try (Stage2Training stage = Stage2Training.create(c)) {
            Stage2Training.Batch b = stage.batchMaker().make(stage.records().subList(0, 2),
                    List.of(new Rng(1), new Rng(2))).batch();
            assertEquals(List.of(3L, 4L, 5L, 1L), java.util.Arrays.stream(b.inputIds().getRow(0).toLongVector())
                    .boxed().toList(), "the encoder gets the prompt");
            assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 1L), java.util.Arrays.stream(b.labels()[0]).boxed().toList(),
                    "the decoder learns the caption and its </s>");
            double before = lossOnAllRecords(stage);
            new Trainer<>(c, stage).run(false);
            double after = lossOnAllRecords(stage);
            assertTrue(after < before - 0.5, "loss " + before + " -> " + after);
        }
        try (Blip2Captioner captioner = Blip2Captioner.load(dir.resolve("out/checkpoint-20"))) {
            assertTrue(captioner.caption(images.resolve("red_circle_on_white.png")).text() != null);
        }
    }

    @Test
    void aStage1ConfigIsRefusedClearly() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Stage2Training.create(
                TrainConfig.read(TinyRun.stage1(dir))));
        assertTrue(bad.getMessage().startsWith("model.init: stage 2 starts from stage1"), bad.getMessage());
    }

    /** LAVIS stores {@code layer_decay} and never reads it; here each vision layer really gets its own rate. */
    @Test
    void withTheVisionTowerTrainingEachLayerGetsItsDecayedRate() {
        TrainConfig c = TrainConfig.read(TinyRun.stage2(dir, "model.train_vit=true", "optim.layer_decay=0.5",
                "max_steps=2", "save_steps=2"));
        try (Stage2Training stage = Stage2Training.create(c)) {
            Map<String, Double> scales = stage.lrScales();
            // The e2e tower has 2 layers: embeddings 0.5^3, layer 0 0.5^2, layer 1 0.5, post_layernorm 1.
            assertEquals(0.125, scales.get("vision_model.embeddings.patch_embedding.weight"));
            assertEquals(0.25, scales.get("vision_model.encoder.layers.0.self_attn.qkv.weight"));
            assertEquals(0.5, scales.get("vision_model.encoder.layers.1.mlp.fc1.weight"));
            assertEquals(1.0, scales.get("vision_model.post_layernorm.weight"));
            assertFalse(scales.containsKey("query_tokens"), "the Q-Former keeps the rate itself");
            INDArray before = stage.trainableParameters().get("vision_model.encoder.layers.0.self_attn.qkv.weight")
                    .data().dup();
            new Trainer<>(c, stage).run(false);
            assertNotEquals(before, stage.trainableParameters()
                    .get("vision_model.encoder.layers.0.self_attn.qkv.weight").data(), "the tower trained");
        }
        BadInputException e = assertThrows(BadInputException.class,
                () -> TrainConfig.read(TinyRun.stage2(dir, "optim.layer_decay=0.5")));
        assertTrue(e.getMessage().contains("layer_decay: only applies to a vision tower that trains"), e.getMessage());
    }
}
