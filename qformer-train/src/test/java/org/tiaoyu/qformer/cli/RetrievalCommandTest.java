package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/** {@code qformer retrieval} from pixels reproduces HF's {@code Blip2ForImageTextRetrieval} outputs within 1e-4. */
class RetrievalCommandTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"hf/public", "hf/public_t5"})
    void matchesHuggingFaceFromPixels(String fixture) {
        Path root = Fixtures.path(fixture);
        Path out = dir.resolve("out.safetensors");
        StringWriter stdout = new StringWriter();
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(stdout), new PrintWriter(err), "retrieval",
                "--model", root.resolve("retrieval_model").toString(), "--inputs",
                root.resolve("retrieval_inputs.safetensors").toString(), "--out", out.toString());
        assertEquals(0, status, err.toString());
        try (var ours = SafetensorsFile.open(out);
                var ref = SafetensorsFile.open(root.resolve("retrieval_reference.safetensors"))) {
            for (String name : List.of("itm_logits_per_image", "itc_logits_per_image", "itc_logits_per_text",
                    "itc_image_embeds", "itc_text_embeds")) {
                INDArray expected = ref.load(name, DataType.DOUBLE);
                INDArray actual = ours.load(name, DataType.DOUBLE);
                assertArrayEquals(expected.shape(), actual.shape(), name);
                double diff = expected.sub(actual).amaxNumber().doubleValue();
                assertTrue(diff <= 1e-4, name + ": max |difference| " + diff);
            }
            long pairs = ref.load("itc_logits_per_image").size(0);
            assertEquals(String.format("%d image-text pairs: itm_logits_per_image %d x 2, itc_logits_per_image %d x %d "
                    + "-> %s%n", pairs, pairs, pairs, pairs, out), stdout.toString());
        }
    }
}
