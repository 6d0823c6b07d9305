package org.tiaoyu.qformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;

class TrainConfigTest {

    @TempDir
    Path dir;

    private String error(String... changes) {
        Path file = TinyRun.stage1(dir, changes);
        BadInputException e = assertThrows(BadInputException.class, () -> TrainConfig.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e.getMessage().substring(file.toString().length() + 2);
    }

    @Test
    void theExampleReadsWithLavisDefaultsForWhatItLeavesOut() {
        TrainConfig c = TrainConfig.read(TinyRun.stage1(dir));
        assertEquals(80, c.maxSteps());
        assertEquals(TrainConfig.Init.SCRATCH, c.model().init());
        assertTrue(c.model().trainLnVision());
        assertEquals(0.999, c.optim().beta2());
        assertEquals(1e-8, c.optim().eps());
        assertEquals(TrainConfig.Schedule.LINEAR_WARMUP_COSINE, c.optim().schedule());
        assertEquals(1.0, c.loss().itg());
        assertEquals(50, c.data().maxWords());
        assertEquals(4, c.data().prefetch());
        assertEquals(c, TrainConfig.fromJson(c.toJson()), "the saved form reads back the same");
    }

    @Test
    void pathsAreRelativeToTheConfigFile() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Path file = Files.writeString(sub.resolve("c.json"), """
                {"output_dir": "runs/a", "max_steps": 1,
                 "model": {"init": "checkpoint", "path": "../model"}, "data": {"annotations": "data/x.jsonl"}}
                """);
        TrainConfig c = TrainConfig.read(file);
        assertEquals(sub.resolve("runs/a").toString(), c.outputDir());
        assertEquals(dir.resolve("model").toString(), c.model().path());
        assertEquals(sub.resolve("data/x.jsonl").toString(), c.data().annotations());
    }

    @Test
    void badConfigsAreRefusedNamingTheField() {
        assertTrue(error("data.batchsize=8").startsWith("data.batchsize: unknown field (known here: annotations, "),
                "unknown field");
        assertEquals("data.batch_size: wrong type, expected integer", error("data.batch_size=\"8\""));
        assertEquals("data.batch_size: 8.5 is not a valid integer", error("data.batch_size=8.5"));
        assertEquals("optim.lr: must be a finite number >= 0, got -1.0", error("optim.lr=-1"));
        assertEquals("optim.beta2: must be in [0, 1), got 1.0", error("optim.beta2=1"));
        assertTrue(error("optim.schedule=\"cosine\"").startsWith("optim.schedule: \"cosine\" is not a valid value "
                + "(one of linear_warmup_cosine"), "bad enum");
        assertEquals("model.init: missing (scratch, bert or checkpoint)", error("model.init=null"));
        assertEquals("model.bert_path: needed with init bert", error("model.init=\"bert\""));
        assertEquals("max_steps or num_train_epochs: one is needed (max_steps wins when both are given)",
                error("max_steps=null"));
        assertEquals("loss: every weight is 0, nothing would train", error("loss.itc=0", "loss.itm=0", "loss.itg=0"));
        assertEquals("model.dropout: must be in [0, 1), got 1.5", error("model.dropout=1.5"));
        assertEquals("data.format: unknown annotation format \"csv\" (auto, coco, karpathy or jsonl)",
                error("data.format=\"csv\""));
        assertEquals("save_steps: must be at least 1, got 0", error("save_steps=0"));
    }

    @Test
    void whatDependsOnTheStageIsCheckedByForStage() {
        TrainConfig batchOfOne = TrainConfig.read(TinyRun.stage1(dir, "data.batch_size=1"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> batchOfOne.forStage(1));
        assertEquals("data.batch_size: stage 1 needs at least 2 (ITM draws its negatives from the batch), got 1",
                e.getMessage());
        TrainConfig stage2 = TrainConfig.read(TinyRun.stage2(dir, "data.batch_size=1"));
        assertEquals(stage2, stage2.forStage(2), "stage 2 takes batches of one");
        TrainConfig prompt = TrainConfig.read(TinyRun.stage1(dir, "model.prompt=\"a photo of\""));
        e = assertThrows(IllegalArgumentException.class, () -> prompt.forStage(1));
        assertEquals("model.prompt: only stage 2 reads it", e.getMessage());
        TrainConfig scratch = TrainConfig.read(TinyRun.stage1(dir));
        e = assertThrows(IllegalArgumentException.class, () -> scratch.forStage(2));
        assertEquals("model.init: stage 2 starts from stage1 (a stage-1 checkpoint in model.qformer_path) or "
                + "checkpoint, not scratch", e.getMessage());
        assertEquals("model.qformer_path: needed with init stage1 (a stage-1 checkpoint)",
                error("model.init=\"stage1\""));
    }

    @Test
    void notJsonAndMissingFilesAreNamed() throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"max_steps\": 3,");
        BadInputException e = assertThrows(BadInputException.class, () -> TrainConfig.read(broken));
        assertTrue(e.getMessage().startsWith(broken + ": not valid JSON"), e.getMessage());
        Path missing = dir.resolve("missing.json");
        e = assertThrows(BadInputException.class, () -> TrainConfig.read(missing));
        assertEquals(missing + ": cannot be read (no such file)", e.getMessage());
    }
}
