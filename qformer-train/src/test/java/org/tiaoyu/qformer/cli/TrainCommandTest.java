package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.train.TinyRun;

/** {@code qformer train stage1} as DESIGN §5 "Training" fixes it: overrides, output, exit statuses. */
class TrainCommandTest {

    @TempDir
    Path dir;

    record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(status, out.toString(), err.toString());
    }

    @Test
    void trainsWithTheFlagsOverridingTheConfigAndEndsWithOneJsonLine() throws Exception {
        Path config = TinyRun.stage1(dir);
        Path out = dir.resolve("elsewhere");
        Result r = run("train", "stage1", "--config", config.toString(), "--output-dir", out.toString(),
                "--max-steps", "3", "--save-steps", "2", "--seed", "5");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        JsonNode summary = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertEquals(1, summary.get("stage").asInt());
        assertEquals(3, summary.get("steps").asInt());
        assertEquals(0, summary.get("skipped_records").asInt());
        assertEquals(out.toString(), summary.get("output_dir").asText());
        assertTrue(summary.get("final_loss").isNumber() && summary.get("seconds").isNumber());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-2")) && Files.isDirectory(out.resolve("checkpoint-3")));
        assertFalse(Files.exists(dir.resolve("out")), "output_dir was overridden");
        JsonNode state = new ObjectMapper().readTree(out.resolve("checkpoint-3/trainer_state.json").toFile());
        assertEquals(5, state.get("config").get("seed").asInt(), "the resolved config is saved, overrides applied");

        Result again = run("train", "stage1", "--config", config.toString(), "--output-dir", out.toString(),
                "--max-steps", "3");
        assertEquals(2, again.status());
        assertEquals(List.of("error: " + out + ": holds checkpoints already ([2, 3]); pass --resume to continue "
                + "that run, or choose another output directory" + ErrorReporter.DEBUG_HINT), again.err().lines().toList());
    }

    @Test
    void aBadConfigIsOneErrorLineNamingFileAndFieldWithStatus2AndNothingWritten() {
        Path config = TinyRun.stage1(dir, "optim.lr=\"fast\"");
        Result r = run("train", "stage1", "--config", config.toString());
        assertEquals(2, r.status());
        assertEquals(List.of("error: " + config + ": optim.lr: wrong type, expected number" + ErrorReporter.DEBUG_HINT),
                r.err().lines().toList());
        assertEquals("", r.out());
        assertFalse(Files.exists(dir.resolve("out")));

        Path noOutput = TinyRun.stage1(dir, "output_dir=null");
        r = run("train", "stage1", "--config", noOutput.toString());
        assertEquals(List.of("error: " + noOutput + ": output_dir: missing (in the config or --output-dir)"
                + ErrorReporter.DEBUG_HINT), r.err().lines().toList());
        Path badData = TinyRun.stage1(dir, "data.annotations=\"nowhere.jsonl\"");
        r = run("train", "stage1", "--config", badData.toString());
        assertEquals(2, r.status());
        assertEquals(List.of("error: " + dir.resolve("nowhere.jsonl") + ": no such file (the annotations)"
                + ErrorReporter.DEBUG_HINT), r.err().lines().toList());
    }

    @Test
    void trainingThatCannotGoOnIsStatus1WithOneLine() {
        Path config = TinyRun.stage1(dir, "optim.lr=1e30", "optim.warmup_steps=0", "optim.max_grad_norm=null",
                "optim.max_nonfinite_steps=2", "max_steps=10");
        Result r = run("train", "stage1", "--config", config.toString());
        assertEquals(1, r.status(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("error: 2 steps in a row were not finite"), lines.get(0));
    }
}
