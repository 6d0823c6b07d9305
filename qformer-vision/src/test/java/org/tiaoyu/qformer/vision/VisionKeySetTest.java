package org.tiaoyu.qformer.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Each tower's parameter names are exactly the checkpoint's vision tensors (under {@code vision_model.} in BLIP-2
 * directories, unprefixed in the {@code CLIPVisionModel} one), both ways, with equal shapes.
 */
class VisionKeySetTest {

    @ParameterizedTest
    @ValueSource(strings = {"hf/public/model", "hf/public/retrieval_model", "hf/public_t5/model", "hf/clip_vision/model"})
    void parametersAreTheCheckpointsVisionTensors(String fixture) {
        Path dir = Fixtures.path(fixture);
        Module tower = fixture.contains("clip") ? ClipVisionTower.load(dir, false) : Blip2VisionTower.load(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            String prefix = fixture.contains("clip") ? "" : "vision_model.";
            Map<String, long[]> expected = new TreeMap<>();
            for (String name : checkpoint.names()) {
                if (name.startsWith(prefix)) {
                    expected.put(name.substring(prefix.length()), checkpoint.info(name).shape());
                }
            }
            Map<String, Tensor> actual = tower.namedParameters();
            assertEquals(expected.keySet(), new TreeSet<>(actual.keySet()));
            expected.forEach((name, shape) -> assertArrayEquals(shape, actual.get(name).shape(), name));
        }
    }
}
