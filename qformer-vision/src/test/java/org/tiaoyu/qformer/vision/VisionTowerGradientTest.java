package org.tiaoyu.qformer.vision;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.GradCheck;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.config.ClipVisionConfig;
import org.tiaoyu.qformer.core.config.VisionConfig;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.vision.VisionAttention.QkvBias;

/**
 * Unfrozen, both towers differentiate correctly (finite differences in double precision) with respect to the pixels
 * and to parameters of every kind: the patch weight seen through its [D, C·p·p] view, class and position
 * embeddings, the split q/v biases (through the fused projection and its slices), CLIP's q projection.
 */
class VisionTowerGradientTest {

    private static void randomize(Module m, long seed) {
        Rng rng = new Rng(seed);
        m.namedParameters().values().forEach(p -> rng.fillNormal(p.data(), 0.0, 0.5));
    }

    @Test
    void blip2Tower() {
        var config = new VisionConfig(8, 12, 1, 2, 4, 2, 1e-6, Activation.GELU, true, 0.0, 3);
        var tower = new Blip2VisionTower(config, QkvBias.SPLIT, DataType.DOUBLE);
        randomize(tower, 1);
        VisionAttention attention = tower.encoder.layers.get(0).selfAttn;
        GradCheck.check(in -> {
            VisionOutput out = tower.forward(in[0]);
            return out.poolerOutput().add(out.lastHiddenState().sum(1));                   // [B, D]
        }, GradCheck.randomVariable(2, 1, 3, 4, 4), tower.embeddings.patchEmbedding.weight,
                tower.embeddings.classEmbedding, tower.embeddings.positionEmbedding, attention.qBias, attention.vBias);
    }

    @Test
    void clipTower() {
        var config = new ClipVisionConfig(8, 12, 2, 2, 3, 4, 2, 1e-5, Activation.QUICK_GELU, 0.0, 4);
        var tower = new ClipVisionTower(config, false, DataType.DOUBLE);
        randomize(tower, 3);
        GradCheck.check(in -> tower.forward(in[0]).lastHiddenState(), GradCheck.randomVariable(4, 1, 3, 4, 4),
                tower.embeddings.patchEmbedding.weight, tower.embeddings.classEmbedding,
                tower.embeddings.positionEmbedding.weight, tower.encoder.layers.get(1).selfAttn.qProj.weight);
    }
}
