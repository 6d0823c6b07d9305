package org.tiaoyu.qformer.vision;

import static org.tiaoyu.qformer.vision.Blip2VisionTowerParityTest.assertClose;
import static org.tiaoyu.qformer.vision.Blip2VisionTowerParityTest.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/**
 * HF's tiny random {@code CLIPVisionModel} fixture: every hidden state ({@code 0} = {@code pre_layrnorm} of the
 * embeddings), {@code last_hidden_state} (before {@code post_layernorm}) and {@code pooler_output} within 1e-4; without
 * its last layer, the tower returns the penultimate hidden state.
 */
class ClipVisionTowerParityTest {

    private static final Path DIR = Fixtures.path("hf/clip_vision");

    @Test
    void matchesHuggingFace() {
        ClipVisionTower tower = ClipVisionTower.load(DIR.resolve("model"), false);
        assertTrue(tower.trainableParameters().isEmpty(), "frozen after loading");
        try (var inputs = SafetensorsFile.open(DIR.resolve("inputs.safetensors"));
                var reference = SafetensorsFile.open(DIR.resolve("reference.safetensors"))) {
            VisionOutput out = tower.encode(Tensor.constant(inputs.load("pixel_values", DataType.FLOAT)));
            assertMatches(out, reference, "hf/clip_vision");
        }
    }

    @Test
    void withoutLastLayerReturnsThePenultimateHiddenState() {
        ClipVisionTower tower = ClipVisionTower.load(DIR.resolve("model"), true);
        assertEquals(tower.config.numHiddenLayers() - 1, tower.encoder.layers.size());
        try (var inputs = SafetensorsFile.open(DIR.resolve("inputs.safetensors"));
                var reference = SafetensorsFile.open(DIR.resolve("reference.safetensors"))) {
            VisionOutput out = tower.encode(Tensor.constant(inputs.load("pixel_values", DataType.FLOAT)));
            String penultimate = "vision_hidden_states." + (tower.config.numHiddenLayers() - 1);
            assertClose(reference.load(penultimate), out.lastHiddenState().data(), 1e-4,
                    "hf/clip_vision without last layer vs " + penultimate);
        }
    }
}
