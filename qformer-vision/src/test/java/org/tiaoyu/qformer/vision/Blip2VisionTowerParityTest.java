package org.tiaoyu.qformer.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/**
 * The vision tower of HF's {@code Blip2ForConditionalGeneration} fixtures reproduces every hidden state
 * ({@code vision_hidden_states.0} = embeddings), {@code last_hidden_state} and {@code pooler_output} within 1e-4, and
 * the retrieval model's tower its {@code vision_last_hidden_state}.
 */
class Blip2VisionTowerParityTest {

    static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        System.out.printf("%s: max |difference| %.3g%n", what, diff);
        assertTrue(diff <= tolerance, what + ": max |difference| " + diff + " > " + tolerance);
    }

    /** Compares a tower's output with {@code vision_*} tensors of a reference file. */
    static void assertMatches(VisionOutput out, SafetensorsFile reference, String fixture) {
        assertEquals(reference.tensors().stream().filter(t -> t.name().startsWith("vision_hidden_states.")).count(),
                out.hiddenStates().size(), "number of hidden states");
        for (int i = 0; i < out.hiddenStates().size(); i++) {
            assertClose(reference.load("vision_hidden_states." + i), out.hiddenStates().get(i).data(), 1e-4,
                    fixture + " vision_hidden_states." + i);
        }
        assertClose(reference.load("vision_last_hidden_state"), out.lastHiddenState().data(), 1e-4,
                fixture + " vision_last_hidden_state");
        assertClose(reference.load("vision_pooler_output"), out.poolerOutput().data(), 1e-4,
                fixture + " vision_pooler_output");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf/public", "hf/public_t5"})
    void matchesHuggingFace(String fixture) {
        Path dir = Fixtures.path(fixture);
        Blip2VisionTower tower = Blip2VisionTower.load(dir.resolve("model"));
        assertTrue(tower.trainableParameters().isEmpty(), "frozen after loading");
        try (var inputs = SafetensorsFile.open(dir.resolve("inputs.safetensors"));
                var reference = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            VisionOutput out = tower.encode(Tensor.constant(inputs.load("pixel_values", DataType.FLOAT)));
            assertFalse(out.lastHiddenState().requiresGrad());
            assertMatches(out, reference, fixture);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf/public", "hf/public_t5"})
    void retrievalTowerMatchesHuggingFace(String fixture) {
        Path dir = Fixtures.path(fixture);
        Blip2VisionTower tower = Blip2VisionTower.load(dir.resolve("retrieval_model"));
        try (var inputs = SafetensorsFile.open(dir.resolve("inputs.safetensors"));
                var reference = SafetensorsFile.open(dir.resolve("retrieval_reference.safetensors"))) {
            VisionOutput out = tower.encode(Tensor.constant(inputs.load("pixel_values", DataType.FLOAT)));
            assertClose(reference.load("vision_last_hidden_state"), out.lastHiddenState().data(), 1e-4,
                    fixture + " retrieval vision_last_hidden_state");
        }
    }
}
