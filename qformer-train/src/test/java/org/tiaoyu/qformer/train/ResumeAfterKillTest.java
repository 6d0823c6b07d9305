package org.tiaoyu.qformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run killed with SIGKILL — between checkpoints, and while a checkpoint is being written — and resumed gives the
 * same per-step metrics as a run that was never stopped, with dropout, shuffling, augmentation and hard-negative
 * sampling all on. The killed runs are real {@code qformer train stage1} processes.
 */
class ResumeAfterKillTest {

    private static final String[] RUN = {"max_steps=12", "save_steps=4", "model.dropout=0.1"};

    @TempDir
    static Path shared;

    private static Map<Integer, JsonNode> unbroken;

    @BeforeAll
    static void runWithoutStopping() throws IOException {
        Path config = TinyRun.stage1(Files.createDirectories(shared.resolve("unbroken")), RUN);
        TrainConfig c = TrainConfig.read(config);
        try (Stage1Training stage = Stage1Training.create(c)) {
            new Trainer<>(c, stage).run(false);
        }
        unbroken = lastLinePerStep(shared.resolve("unbroken/out"));
        assertEquals(12, unbroken.size());
    }

    @TempDir
    Path dir;

    @Test
    void killedBetweenCheckpointsResumesTheSameRun() throws Exception {
        Path config = TinyRun.stage1(dir, RUN);
        Path out = dir.resolve("out");
        Process p = start(config, false);
        waitFor(() -> lines(out) >= 6, p);                     // step 4's checkpoint is written, step 6 logged
        kill(p);
        assertEquals(List.of(4), Checkpoints.steps(out));
        assertTrue(lines(out) >= 6, "the steps after the checkpoint were logged");

        Process resumed = start(config, true);
        String stdout = output(resumed);
        assertEquals(0, resumed.waitFor(), stdout);
        assertEquals(unbroken, lastLinePerStep(out), "every step as in the unbroken run");
        assertTrue(stdout.contains("\"steps\":12"), stdout);
    }

    @Test
    void killedWhileWritingACheckpointLeavesThePreviousOneAndResumesTheSameRun() throws Exception {
        Path config = TinyRun.stage1(dir, RUN);
        Path out = dir.resolve("out");
        Process p = start(config, false, "-D" + Checkpoints.PAUSE_PROPERTY + "=60000");
        // The first checkpoint pauses before its rename: wait for its temporary folder, then kill.
        waitFor(() -> temporaries(out).size() == 1, p);
        kill(p);
        assertEquals(List.of(), Checkpoints.steps(out), "no half-written checkpoint carries the name");
        assertEquals(1, temporaries(out).size());

        Process again = start(config, true, "-D" + Checkpoints.PAUSE_PROPERTY + "=0");
        waitFor(() -> Checkpoints.steps(out).contains(8), again);
        assertEquals(List.of(), temporaries(out), "the killed run's temporary folder was swept");
        kill(again);
        Process resumed = start(config, true);
        String stdout = output(resumed);
        assertEquals(0, resumed.waitFor(), stdout);
        assertEquals(unbroken, lastLinePerStep(out));
        assertFalse(Files.exists(out.resolve("checkpoint-4")), "save_total_limit 2 keeps 8 and 12");
    }

    @Test
    void stageTwoKilledBetweenCheckpointsResumesTheSameRun() throws Exception {
        String[] run = {"max_steps=8", "save_steps=3", "model.dropout=0.1"};
        Path reference = Files.createDirectories(dir.resolve("reference"));
        TrainConfig c = TrainConfig.read(TinyRun.stage2(reference, run));
        try (Stage2Training stage = Stage2Training.create(c)) {
            new Trainer<>(c, stage).run(false);
        }
        Path config = TinyRun.stage2(dir, run);
        Path out = dir.resolve("out");
        Process p = start("stage2", config, false);
        waitFor(() -> lines(out) >= 5, p);
        kill(p);
        assertEquals(List.of(3), Checkpoints.steps(out));
        Process resumed = start("stage2", config, true);
        String stdout = output(resumed);
        assertEquals(0, resumed.waitFor(), stdout);
        assertEquals(lastLinePerStep(reference.resolve("out")), lastLinePerStep(out));
    }

    private static Process start(Path config, boolean resume, String... jvmOptions) throws IOException {
        return start("stage1", config, resume, jvmOptions);
    }

    private static Process start(String stage, Path config, boolean resume, String... jvmOptions)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.tiaoyu.qformer.cli.QFormerCommand",
                "train", stage, "--config", config.toString()));
        if (resume) {
            cmd.add("--resume");
        }
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();                                             // SIGKILL
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
    }

    private static void waitFor(BooleanSupplier condition, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (!p.isAlive()) {
                fail("the training process ended (status " + p.exitValue() + ") before the moment to kill it");
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                fail("timed out waiting for the training process");
            }
            Thread.sleep(20);
        }
    }

    private static String output(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes());
    }

    private static long lines(Path out) {
        try {
            return Files.exists(out.resolve(Checkpoints.METRICS_FILE))
                    ? Files.readAllLines(out.resolve(Checkpoints.METRICS_FILE)).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static List<Path> temporaries(Path out) {
        if (!Files.isDirectory(out)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + Checkpoints.PREFIX)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Map<Integer, JsonNode> lastLinePerStep(Path out) throws IOException {
        Map<Integer, JsonNode> byStep = new TreeMap<>();
        for (JsonNode line : MetricsLog.read(out.resolve(Checkpoints.METRICS_FILE))) {
            byStep.put(line.get("step").asInt(), line);
        }
        return byStep;
    }
}
