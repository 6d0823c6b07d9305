package org.tiaoyu.qformer.vision;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;

/** Loading the wrong kind of directory, a checkpoint that does not fit, or an image of another size fails clearly. */
class VisionTowerLoadTest {

    @Test
    void rejectsTheOtherTowersDirectory() {
        Path clip = Fixtures.path("hf/clip_vision/model");
        Path blip2 = Fixtures.path("hf/public/model");
        BadInputException e = assertThrows(BadInputException.class, () -> Blip2VisionTower.load(clip));
        assertTrue(e.getMessage().startsWith(clip.toString()), e.getMessage());
        assertThrows(BadInputException.class, () -> ClipVisionTower.load(blip2, false));
    }

    @Test
    void rejectsACheckpointThatDoesNotFitTheConfig(@TempDir Path dir) throws IOException {
        Path clip = Fixtures.path("hf/clip_vision/model");
        Files.copy(clip.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"),
                Files.readString(clip.resolve("config.json")).replace("\"num_hidden_layers\": 3",
                        "\"num_hidden_layers\": 4"));
        BadInputException e = assertThrows(BadInputException.class, () -> ClipVisionTower.load(dir, false));
        assertTrue(e.getMessage().contains("missing (encoder.layers.3."), e.getMessage());
    }

    @Test
    void rejectsAnImageThatIsNotWholePatches() {
        Blip2VisionTower tower = Blip2VisionTower.load(Fixtures.path("hf/public/model"));
        Tensor pixels = Tensor.constant(Nd4j.zeros(DataType.FLOAT, 1, 3, 36, 36));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tower.encode(pixels));
        assertTrue(e.getMessage().contains("not a multiple of the patch size 8"), e.getMessage());
    }
}
