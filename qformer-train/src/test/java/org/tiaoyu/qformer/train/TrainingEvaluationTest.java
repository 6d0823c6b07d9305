package org.tiaoyu.qformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * Evaluation on a validation split while training: when it runs, what it logs, and that the best checkpoint by the
 * configured metric is kept beside the last ones, also across a resume.
 */
class TrainingEvaluationTest {

    private static final String VALIDATION = "\"" + TinyRun.repository().resolve(
            "examples/train/tiny-data/captions.jsonl") + "\"";

    @TempDir
    Path dir;

    private static TrainResult train(TrainConfig c, boolean resume, List<int[]> evaluations) {
        try (Stage1Training stage = Stage1Training.create(c)) {
            return new Trainer<>(c, stage).addCallback(new TrainingCallback() {
                @Override
                public void onEvaluation(int step, Map<String, Double> figures, boolean best) {
                    evaluations.add(new int[] {step, best ? 1 : 0});
                }
            }).run(resume);
        }
    }

    private static List<JsonNode> evalLines(Path out) throws java.io.IOException {
        return MetricsLog.read(out.resolve("metrics.jsonl")).stream().filter(l -> l.has("eval")).toList();
    }

    @Test
    void evaluatesEveryNStepsAndKeepsTheBestCheckpointBesideTheLast() throws Exception {
        TrainConfig c = TrainConfig.read(TinyRun.stage1(dir, "max_steps=6", "save_steps=3", "save_total_limit=1",
                "eval.annotations=" + VALIDATION, "eval.every_steps=2", "eval.k_test=8", "eval.metric=\"img_r10\""));
        List<int[]> evaluations = new ArrayList<>();
        TrainResult r = train(c, false, evaluations);

        Path out = dir.resolve("out");
        List<JsonNode> lines = evalLines(out);
        assertEquals(List.of(2, 4, 6), lines.stream().map(l -> l.get("step").asInt()).toList(),
                "every 2 steps and at the end");
        JsonNode best = lines.get(0);
        for (JsonNode l : lines) {
            assertEquals(l.get("eval").get("img_r10").asDouble(), l.get("eval").get("score").asDouble(), 0.0);
            assertTrue(l.get("eval").has("txt_r1") && l.get("eval").has("r_mean") && l.get("eval").has("seconds"));
            if (l.get("eval").get("score").asDouble() > best.get("eval").get("score").asDouble()) {
                best = l;                                                  // the first of equal scores stays best
            }
        }
        int bestStep = best.get("step").asInt();
        assertEquals(out.resolve("checkpoint-" + bestStep), r.bestCheckpoint());
        assertEquals(best.get("eval").get("score").asDouble(), r.bestScore(), 0.0);
        List<Integer> kept = Checkpoints.steps(out);
        assertTrue(kept.contains(6) && kept.contains(bestStep), kept.toString());
        assertEquals(bestStep == 6 ? 1 : 2, kept.size(), "the last one and the best: " + kept);
        assertEquals(List.of(2, 4, 6), evaluations.stream().map(e -> e[0]).toList());
        assertEquals(1, evaluations.stream().filter(e -> e[0] == bestStep).mapToInt(e -> e[1]).sum());

        JsonNode state = new ObjectMapper().readTree(out.resolve("checkpoint-6/trainer_state.json").toFile());
        assertEquals(bestStep, state.get("best_step").asInt());
        assertEquals(3, evalLines(out.resolve("checkpoint-6")).size(), "a checkpoint holds its own evaluation");
    }

    @Test
    void aResumedRunKnowsTheBestSoFar() throws Exception {
        String[] run = {"max_steps=6", "save_steps=2", "save_total_limit=1", "eval.annotations=" + VALIDATION,
            "eval.k_test=4"};
        TrainConfig unbroken = TrainConfig.read(TinyRun.stage1(Files.createDirectories(dir.resolve("a")), run));
        TrainResult whole = train(unbroken, false, new ArrayList<>());

        // The same run stopped after its checkpoint at step 4: the later checkpoints removed, as a crash leaves it.
        TrainConfig c = TrainConfig.read(TinyRun.stage1(Files.createDirectories(dir.resolve("b")), run));
        train(c, false, new ArrayList<>());
        Path out = dir.resolve("b/out");
        Checkpoints.deleteTree(out.resolve("checkpoint-6"));
        TrainResult resumed = train(c, true, new ArrayList<>());
        assertEquals(whole.bestCheckpoint().getFileName(), resumed.bestCheckpoint().getFileName());
        assertEquals(whole.bestScore(), resumed.bestScore(), 0.0);
    }

    /** Stage 2 captions the split's images with the training prompt and scores them with pycocoevalcap's metrics. */
    @Test
    void stageTwoScoresCaptionsByCiderPlusBleu4() throws Exception {
        TrainConfig c = TrainConfig.read(TinyRun.stage2(dir, "max_steps=3", "save_steps=3",
                "eval.annotations=" + VALIDATION, "eval.num_beams=2", "eval.max_new_tokens=6",
                "eval.min_new_tokens=1"));
        TrainResult r;
        try (Stage2Training stage = Stage2Training.create(c)) {
            r = new Trainer<>(c, stage).run(false);
        }
        List<JsonNode> lines = evalLines(dir.resolve("out"));
        assertEquals(1, lines.size());
        JsonNode eval = lines.get(0).get("eval");
        for (String key : List.of("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr")) {
            assertTrue(eval.get(key).isNumber(), key);
        }
        assertEquals(eval.get("CIDEr").asDouble() + eval.get("Bleu_4").asDouble(), eval.get("score").asDouble(),
                1e-12, "LAVIS's choice of best: CIDEr + BLEU-4");
        assertEquals(dir.resolve("out/checkpoint-3"), r.bestCheckpoint());
    }

    @Test
    void aMetricTheStageDoesNotReportIsRefused() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(
                TinyRun.stage1(dir, "eval.annotations=" + VALIDATION, "eval.metric=\"CIDEr\"")).forStage(1));
        assertTrue(bad.getMessage().startsWith("eval.metric: stage 1 reports [txt_r1"), bad.getMessage());
        assertThrows(BadInputException.class, () -> TrainConfig.read(TinyRun.stage1(dir, "eval.annotations="
                + VALIDATION, "eval.every_steps=0")), "eval.every_steps must be at least 1");
    }
}
