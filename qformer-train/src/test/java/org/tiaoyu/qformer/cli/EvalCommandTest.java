package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** {@code qformer eval} as DESIGN §5 "Evaluation" fixes it: the figures as the last stdout line, bad input exit 2. */
class EvalCommandTest {

    private static final Path REPO = TinyRun.repository();

    @TempDir
    Path dir;

    record Result(int status, String out, String err) {
        JsonNode last() throws java.io.IOException {
            List<String> lines = out.lines().toList();
            return new ObjectMapper().readTree(lines.get(lines.size() - 1));
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(status, out.toString(), err.toString());
    }

    private static final String EVAL = REPO.resolve("testdata/eval").toString();

    @Test
    void captionOfAResultFileGivesPycocoevalcapFiguresAndPerImageOnRequest() throws Exception {
        Result r = run("eval", "caption", "--predictions", EVAL + "/caption_predictions.json", "--references",
                EVAL + "/caption_references.json", "--per-image");
        assertEquals(0, r.status(), r.err());
        JsonNode figures = r.last();
        JsonNode official = new ObjectMapper().readTree(Path.of(EVAL, "caption_metrics.json").toFile());
        for (String key : List.of("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr")) {
            double want = official.get(key).asDouble();
            assertEquals(want, figures.get(key).asDouble(), 1e-9 * Math.abs(want), key);
            official.get("per_image").get(key).fields().forEachRemaining(e -> assertEquals(e.getValue().asDouble(),
                    figures.get("per_image").get(key).get(e.getKey()).asDouble(),
                    1e-9 * Math.abs(e.getValue().asDouble()), key + " of image " + e.getKey()));
        }
        assertEquals(22, figures.get("images").asInt());
    }

    @Test
    void captionOfAModelCaptionsFirstAndScoresWhatItWrote() throws Exception {
        Path written = dir.resolve("captions.json");
        String references = REPO.resolve("examples/train/tiny-data/captions_coco.json").toString();
        Result r = run("eval", "caption", "--model", REPO.resolve("testdata/e2e/caption_model").toString(),
                "--image-root", REPO.resolve("examples/train/tiny-data").toString(), "--references", references,
                "--out", written.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(32, new ObjectMapper().readTree(written.toFile()).size());
        Result again = run("eval", "caption", "--predictions", written.toString(), "--references", references);
        assertEquals(again.last(), r.last());
        Result noRoot = run("eval", "caption", "--model", "m", "--references", references);
        assertEquals(2, noRoot.status());
        assertTrue(noRoot.err().startsWith("error: --image-root: needed with --model"), noRoot.err());
    }

    @Test
    void vqaOfAResultFileGivesTheOfficialFigures() throws Exception {
        Result r = run("eval", "vqa", "--predictions", EVAL + "/vqa_predictions.json", "--questions",
                EVAL + "/vqa_questions.json", "--annotations", EVAL + "/vqa_annotations.json");
        assertEquals(0, r.status(), r.err());
        JsonNode figures = r.last();
        JsonNode official = new ObjectMapper().readTree(Path.of(EVAL, "vqa_metrics.json").toFile());
        assertEquals(official.get("overall_unrounded").asDouble(), figures.get("overall").asDouble(), 0.0);
        official.get("perAnswerType_unrounded").fields().forEachRemaining(e -> assertEquals(e.getValue().asDouble(),
                figures.get("perAnswerType").get(e.getKey()).asDouble(), 1e-9 * Math.abs(e.getValue().asDouble())));
        assertEquals(32, figures.get("questions").asInt());
    }

    /** With --model the answers are generated first, written with --out, and scored as that file would be. */
    @Test
    void vqaOfAModelAnswersFirstAndScoresWhatItWrote() throws Exception {
        JsonNode questions = new ObjectMapper().readTree(Path.of(EVAL, "vqa_questions.json").toFile());
        Path images = Files.createDirectories(dir.resolve("images"));
        Path picture = REPO.resolve("examples/train/tiny-data/images/red_circle_on_white.png");
        for (JsonNode q : questions.get("questions")) {
            Path named = images.resolve(String.format("COCO_val2014_%012d.jpg", q.get("image_id").asLong()));
            if (!Files.exists(named)) {
                Files.copy(picture, named);
            }
        }
        Path written = dir.resolve("answers.json");
        Result r = run("eval", "vqa", "--model", REPO.resolve("testdata/e2e/caption_model").toString(),
                "--image-root", images.toString(), "--questions", EVAL + "/vqa_questions.json", "--annotations",
                EVAL + "/vqa_annotations.json", "--out", written.toString());
        assertEquals(0, r.status(), r.err());
        JsonNode answers = new ObjectMapper().readTree(written.toFile());
        assertEquals(32, answers.size());
        assertEquals(questions.get("questions").get(0).get("question_id").asLong(),
                answers.get(0).get("question_id").asLong());
        Result again = run("eval", "vqa", "--predictions", written.toString(), "--questions",
                EVAL + "/vqa_questions.json", "--annotations", EVAL + "/vqa_annotations.json");
        assertEquals(again.last(), r.last());

        Result noImages = run("eval", "vqa", "--model", REPO.resolve("testdata/e2e/caption_model").toString(),
                "--image-root", dir.toString(), "--questions", EVAL + "/vqa_questions.json", "--annotations",
                EVAL + "/vqa_annotations.json");
        assertEquals(2, noImages.status());
        assertTrue(noImages.err().startsWith("error: " + dir.resolve("COCO_val2014_000000262148.jpg")
                + ": no such image"), noImages.err());
        Result both = run("eval", "vqa", "--model", "m", "--predictions", "p", "--questions", "q",
                "--annotations", "a");
        assertEquals(2, both.status());
        assertTrue(both.err().startsWith("error: give --predictions or --model, one of them"), both.err());
    }

    @Test
    void retrievalReportsLavisKeysForAModelDirectory() throws Exception {
        Result r = run("eval", "retrieval", "--model", REPO.resolve("testdata/e2e/retrieval_model").toString(),
                "--annotations", REPO.resolve("examples/train/tiny-data/captions.jsonl").toString(), "--k-test", "16");
        assertEquals(0, r.status(), r.err());
        JsonNode figures = r.last();
        for (String key : List.of("txt_r1", "txt_r5", "txt_r10", "txt_r_mean", "img_r1", "img_r5", "img_r10",
                "img_r_mean", "r_mean", "agg_metrics")) {
            double v = figures.get(key).asDouble();
            assertTrue(v >= 0 && v <= 100, key + " " + v);
        }
        assertEquals(32, figures.get("images").asInt());
        assertEquals(64, figures.get("texts").asInt());
        assertEquals(16, figures.get("k_test").asInt());
    }

    @Test
    void retrievalRefusesAMissingFileAndABadK() throws Exception {
        Path missing = dir.resolve("none.json");
        Result r = run("eval", "retrieval", "--model", REPO.resolve("testdata/e2e/retrieval_model").toString(),
                "--annotations", missing.toString());
        assertEquals(2, r.status());
        assertEquals(List.of("error: " + missing + ": no such file (the annotations)" + ErrorReporter.DEBUG_HINT),
                r.err().lines().toList());
        Path annotations = Files.writeString(dir.resolve("a.jsonl"), "{\"image\": \"x.png\", \"caption\": \"a\"}\n");
        Result k = run("eval", "retrieval", "--model", REPO.resolve("testdata/e2e/retrieval_model").toString(),
                "--annotations", annotations.toString(), "--k-test", "0");
        assertEquals(2, k.status());
        assertTrue(k.err().startsWith("error: --k-test: must be at least 1"), k.err());
        Result none = run("eval", "retrieval", "--model", REPO.resolve("testdata/e2e/retrieval_model").toString(),
                "--annotations", annotations.toString());
        assertEquals(2, none.status());
        assertTrue(none.err().startsWith("error: " + annotations + ": no usable caption (1 skipped)"), none.err());
    }
}
