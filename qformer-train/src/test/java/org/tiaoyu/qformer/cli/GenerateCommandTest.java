package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;

/**
 * {@code qformer generate} from pixels reproduces HF's {@code generate_greedy_sequences},
 * {@code generate_beam3_sequences} (+ {@code sequences_scores} within 1e-4) and, for OPT,
 * {@code generate_noprompt_greedy_sequences} of both conditional-generation fixtures exactly.
 */
class GenerateCommandTest {

    @TempDir
    Path dir;

    /** Batch size 1 runs HF's two-row batch as two calls; the output is the same (rows filled to one length). */
    @ParameterizedTest
    @CsvSource({"hf/public, greedy, 1, 8", "hf/public, beam3, 3, 8", "hf/public, noprompt_greedy, 1, 8",
        "hf/public_t5, greedy, 1, 8", "hf/public_t5, beam3, 3, 8", "hf/public, greedy, 1, 1",
        "hf/public, beam3, 3, 1", "hf/public_t5, greedy, 1, 1", "hf/public_t5, beam3, 3, 1"})
    void matchesHuggingFace(String fixture, String mode, int beams, int batchSize) throws Exception {
        Path root = Fixtures.path(fixture);
        Path inputs = root.resolve("inputs.safetensors");
        if (mode.startsWith("noprompt")) {                             // the pixels alone
            inputs = dir.resolve("pixels.safetensors");
            try (var in = SafetensorsFile.open(root.resolve("inputs.safetensors"))) {
                SafetensorsWriter.write(inputs, Map.of("pixel_values", in.load("pixel_values")), Map.of());
            }
        }
        Path out = dir.resolve("out.safetensors");
        StringWriter stdout = new StringWriter();
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(stdout), new PrintWriter(err), "generate",
                "--model", root.resolve("model").toString(), "--inputs", inputs.toString(), "--max-new-tokens", "8",
                "--num-beams", String.valueOf(beams), "--batch-size", String.valueOf(batchSize), "--out",
                out.toString());
        assertEquals(0, status, err.toString());
        try (var ours = SafetensorsFile.open(out); var ref = SafetensorsFile.open(root.resolve("reference.safetensors"))) {
            INDArray expected = ref.load("generate_" + mode + "_sequences");
            INDArray actual = ours.load("sequences");
            assertArrayEquals(expected.shape(), actual.shape());
            long rows = expected.size(0);
            assertEquals(String.format("sequences %d x %d (%d images, 1 each)%s -> %s%n", rows, expected.size(1), rows,
                    beams > 1 ? ", sequences_scores " + rows : "", out), stdout.toString());
            for (int i = 0; i < expected.size(0); i++) {
                assertArrayEquals(expected.getRow(i).dup().toLongVector(), actual.getRow(i).dup().toLongVector(),
                        "row " + i);
            }
            assertEquals(beams > 1, ours.contains("sequences_scores"));
            if (beams > 1) {
                INDArray scores = ours.load("sequences_scores", DataType.DOUBLE);
                INDArray expectedScores = ref.load("generate_beam3_sequences_scores", DataType.DOUBLE);
                assertTrue(scores.sub(expectedScores).amaxNumber().doubleValue() < 1e-4);
            }
        }
    }

    @Test
    void promptsWithTheWrongNumberOfImageTokensAreRefused() throws Exception {
        Path root = Fixtures.path("hf/public");
        Path inputs = dir.resolve("in.safetensors");
        try (var in = SafetensorsFile.open(root.resolve("inputs.safetensors"))) {
            INDArray ids = in.load("input_ids");
            ids.putScalar(0, 0, 5);                                    // one image token fewer in row 0
            SafetensorsWriter.write(inputs, Map.of("pixel_values", in.load("pixel_values"), "input_ids", ids,
                    "attention_mask", in.load("attention_mask")), Map.of());
        }
        Path out = dir.resolve("out.safetensors");
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "generate",
                "--model", root.resolve("model").toString(), "--inputs", inputs.toString(), "--max-new-tokens", "4",
                "--out", out.toString());
        assertEquals(2, status);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains(inputs + ": input_ids row 0 holds 3 image tokens"), err.toString());
        assertFalse(Files.exists(out));
    }

    @Test
    void samplingIsReproducibleWithASeed() throws Exception {
        Path root = Fixtures.path("hf/public");
        List<INDArray> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("sample" + i + ".safetensors");
            int status = QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                    "generate", "--model", root.resolve("model").toString(), "--inputs",
                    root.resolve("inputs.safetensors").toString(), "--max-new-tokens", "6", "--do-sample",
                    "--temperature", "1.5", "--top-k", "20", "--seed", "42", "--num-return-sequences", "2",
                    "--out", out.toString());
            assertEquals(0, status);
            try (var f = SafetensorsFile.open(out)) {
                runs.add(f.load("sequences"));
            }
        }
        assertEquals(4, runs.get(0).size(0));                          // 2 rows × 2 samples
        assertEquals(runs.get(0), runs.get(1));
    }
}
