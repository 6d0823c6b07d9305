package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench commands' contract (a final JSON line with the agreed fields), on tiny shapes; no timings asserted. */
class BenchCommandTest {

    private static String[] run(int expectedStatus, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), args);
        assertEquals(expectedStatus, status, err.toString());
        return new String[] {out.toString(), err.toString()};
    }

    @Test
    void everyBenchEndsWithOneJsonLine() throws Exception {
        for (List<String> args : List.of(
                List.of("bench", "gemm", "--m", "8", "--n", "4", "--k", "2"),
                List.of("bench", "linear", "--rows", "4", "--in", "3", "--out", "5"),
                List.of("bench", "attention", "--batch", "2", "--seq", "3", "--hidden", "8", "--heads", "2"),
                List.of("bench", "ops", "--rows", "3", "--hidden", "5", "--ffn", "7", "--batch", "1", "--heads", "2",
                        "--seq", "3"),
                List.of("bench", "stage1", "--batch", "2", "--layers", "2", "--hidden", "8", "--heads", "2", "--ffn",
                        "16", "--queries", "2", "--text-len", "4", "--image-tokens", "3", "--vision-width", "6",
                        "--vocab", "20", "--steps", "1", "--warmup", "0"))) {
            String out = run(0, args.toArray(String[]::new))[0];
            List<String> lines = out.lines().toList();
            var json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
            for (String field : List.of("median_ms", "min_ms", "max_ms", "gflops", "peak_rss_mb")) {
                assertTrue(json.has(field), field + " in " + json);
            }
            assertEquals(args.get(1), json.get("bench").asText());
        }
    }

    @Test
    void generateReportsPromptAndPerTokenTimes() throws Exception {
        for (String lm : List.of("opt", "t5")) {
            String out = run(0, "bench", "generate", "--tiny", "--lm", lm, "--batch", "2", "--prompt-tokens", "3",
                    "--new-tokens", "6", "--warmup", "1", "--steps", "2")[0];
            List<String> lines = out.lines().toList();
            var json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
            assertEquals("generate", json.get("bench").asText());
            assertEquals("tiny-" + lm, json.get("shape").asText());
            assertEquals(2, json.get("batch").asInt());
            assertEquals(6, json.get("new_tokens").asInt());
            assertEquals(4 + 3, json.get("prefix_tokens").asInt()); // 4 queries (tiny) + 3 text tokens
            assertEquals(5, json.get("step_ms").size());            // tokens 2..6
            for (String field : List.of("median_ms", "image_ms", "prefill_ms", "step_median_ms", "step_first5_ms",
                    "step_last5_ms", "decode_ms", "tokens_per_s", "step_tokens_per_s")) {
                assertTrue(json.get(field).asDouble() > 0, field + " in " + json);
            }
            assertTrue(json.get("peak_rss_mb").asLong() >= json.get("end_rss_mb").asLong(), json.toString());
            assertTrue(json.get("lm_parameters").asLong() > 0 && json.get("parameters").asLong()
                    > json.get("lm_parameters").asLong(), json.toString());
        }
        run(2, "bench", "generate", "--tiny", "--lm", "gpt2");
        run(2, "bench", "generate", "--tiny", "--new-tokens", "1");
    }

    @Test
    void badShapesAreBadInput() {
        String err = run(2, "bench", "attention", "--hidden", "10", "--heads", "3")[1];
        assertTrue(err.startsWith("error: --batch, --seq, --heads must be positive"), err);
        run(2, "bench", "linear", "--steps", "0");
    }
}
