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
