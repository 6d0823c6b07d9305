package org.tiaoyu.qformer.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.VisionAttention;

/** The demo's model directories load as any hub directory does, with the weights that were written. */
class DemoModelsTest {

    @TempDir
    Path dir;

    @Test
    void bothDirectoriesLoadWithTheirWeights() {
        Blip2Config config = DemoModels.parsedConfig();
        Blip2VisionTower tower = new Blip2VisionTower(config.vision(), VisionAttention.QkvBias.FUSED, DataType.FLOAT);
        OptForCausalLm lm = new OptForCausalLm((OptConfig) config.text(), DataType.FLOAT);
        DemoModels.initialize(tower, new Rng(1));
        DemoModels.initialize(lm, new Rng(2));
        DemoModels.writeRetrieval(dir.resolve("retrieval"), tower);
        DemoModels.writeGeneration(dir.resolve("generation"), tower, lm);

        Blip2VisionTower loaded = Blip2VisionTower.load(dir.resolve("retrieval"));
        assertEquals(tower.namedParameters().get("post_layernorm.weight").data(),
                loaded.namedParameters().get("post_layernorm.weight").data());
        OptForCausalLm loadedLm = OptForCausalLm.load(dir.resolve("generation"));
        assertEquals(lm.model.decoder.embedTokens.weight.data(), loadedLm.model.decoder.embedTokens.weight.data());
        try (Checkpoint c = Checkpoint.open(dir.resolve("generation"))) {
            assertNotNull(c.load("vision_model.embeddings.patch_embedding.weight"));
        }
        assertEquals(Blip2Config.IMAGE_TEXT_RETRIEVAL, Blip2Config.read(dir.resolve("retrieval")).architectures()
                .get(0));
        assertEquals(DemoTokenizers.languageModelVocabulary().indexOf(DemoTokenizers.IMAGE_TOKEN),
                Blip2Config.read(dir.resolve("generation")).imageTokenIndex().getAsInt());
    }
}
