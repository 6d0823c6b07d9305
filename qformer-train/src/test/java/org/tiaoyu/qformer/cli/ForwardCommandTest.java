package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/**
 * {@code qformer forward} reproduces HF's vision, Q-Former and language-projection outputs of the conditional-
 * generation fixtures (and, for OPT, the language model's inputs, hidden states and logits), and a CLIP vision
 * model's outputs, within 1e-4; every tensor it writes is compared.
 */
class ForwardCommandTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"hf/public, 15", "hf/public_t5, 12", "hf/clip_vision, 6"})
    void matchesHuggingFace(String fixture, int expectedTensors) {
        Path root = Fixtures.path(fixture);
        Path out = dir.resolve("out.safetensors");
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "forward",
                "--model", root.resolve("model").toString(), "--inputs", root.resolve("inputs.safetensors").toString(),
                "--out", out.toString());
        assertEquals(0, status, err.toString());
        try (var ours = SafetensorsFile.open(out);
                var ref = SafetensorsFile.open(root.resolve("reference.safetensors"))) {
            for (var info : ours.tensors()) {
                INDArray expected = ref.load(info.name(), DataType.DOUBLE);
                INDArray actual = ours.load(info.name(), DataType.DOUBLE);
                assertArrayEquals(expected.shape(), actual.shape(), info.name());
                double diff = expected.sub(actual).amaxNumber().doubleValue();
                // DESIGN §6: 1e-4 absolute; logits relative to their magnitude.
                double scale = info.name().endsWith("logits") ? Math.max(1, expected.amaxNumber().doubleValue()) : 1;
                assertTrue(diff <= 1e-4 * scale, info.name() + ": max |difference| " + diff + " (scale " + scale + ")");
            }
            assertEquals(expectedTensors, ours.tensors().size(), "tensors written");
        }
    }
}
