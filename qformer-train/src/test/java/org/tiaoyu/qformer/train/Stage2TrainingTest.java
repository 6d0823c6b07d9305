package org.tiaoyu.qformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
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

    @Test
    void t5ModelsAndStage1StartsAreRefusedClearly() {
        BadInputException e = assertThrows(BadInputException.class, () -> Stage2Training.create(
                TrainConfig.read(TinyRun.stage2(dir, "model.path=\"" + TinyRun.repository()
                        .resolve("testdata/hf/public_t5/model") + "\""))));
        assertTrue(e.getMessage().endsWith("a Flan-T5 (encoder-decoder) model; stage-2 training is built for OPT "
                + "(decoder-only) models so far"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Stage2Training.create(
                TrainConfig.read(TinyRun.stage1(dir))));
        assertTrue(bad.getMessage().startsWith("model.init: stage 2 starts from stage1"), bad.getMessage());
    }
}
