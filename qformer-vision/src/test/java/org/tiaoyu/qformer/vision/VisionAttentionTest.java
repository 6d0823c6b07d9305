package org.tiaoyu.qformer.vision;

import static org.tiaoyu.qformer.vision.Blip2VisionTowerParityTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;

/**
 * Older checkpoints keep {@code q_bias} and {@code v_bias} instead of {@code qkv.bias}: a {@code Blip2VisionModel}
 * directory in that layout (unprefixed, as a vision-only model saves it) loads, and gives the same features as the
 * fused layout with a zero k bias.
 */
class VisionAttentionTest {

    private static final String CONFIG = """
            {"architectures": ["Blip2VisionModel"], "model_type": "blip_2_vision_model", "hidden_size": 32,
             "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 32,
             "patch_size": 8, "layer_norm_eps": 1e-06, "hidden_act": "gelu", "qkv_bias": true,
             "attention_dropout": 0.0}
            """;

    @Test
    void splitQkvBiasEqualsFusedWithZeroKeyBias(@TempDir Path dir) throws IOException {
        Path fixture = Fixtures.path("hf/public");
        Blip2VisionTower fused = Blip2VisionTower.load(fixture.resolve("model"));
        Map<String, INDArray> split = new LinkedHashMap<>();
        try (Checkpoint checkpoint = Checkpoint.open(fixture.resolve("model"))) {
            for (String name : checkpoint.names()) {
                if (!name.startsWith("vision_model.")) {
                    continue;
                }
                String key = name.substring("vision_model.".length());
                INDArray value = checkpoint.load(name, DataType.FLOAT);
                if (key.endsWith("self_attn.qkv.bias")) {
                    String attn = key.substring(0, key.length() - "qkv.bias".length());
                    split.put(attn + "q_bias", value.get(NDArrayIndex.interval(0, 32)).dup());
                    split.put(attn + "v_bias", value.get(NDArrayIndex.interval(64, 96)).dup());
                } else {
                    split.put(key, value);
                }
            }
        }
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), split);
        Files.writeString(dir.resolve("config.json"), CONFIG);
        Blip2VisionTower older = Blip2VisionTower.load(dir);
        VisionAttention attention = older.encoder.layers.get(0).selfAttn;
        assertNotNull(attention.qBias);
        assertNull(attention.qkv.bias);

        for (VisionEncoderLayer<VisionAttention> layer : fused.encoder.layers.asList()) {
            layer.selfAttn.qkv.bias.data().get(NDArrayIndex.interval(32, 64)).assign(0.0);
        }
        try (var inputs = SafetensorsFile.open(fixture.resolve("inputs.safetensors"))) {
            Tensor pixels = Tensor.constant(inputs.load("pixel_values", DataType.FLOAT));
            VisionOutput expected = fused.encode(pixels);
            VisionOutput actual = older.encode(pixels);
            assertClose(expected.lastHiddenState().data(), actual.lastHiddenState().data(), 1e-6,
                    "q_bias/v_bias layout last_hidden_state");
            assertClose(expected.poolerOutput().data(), actual.poolerOutput().data(), 1e-6,
                    "q_bias/v_bias layout pooler_output");
        }
    }
}
