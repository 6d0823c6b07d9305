package org.tiaoyu.qformer.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.config.VisionConfig;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.VisionAttention.QkvBias;

/**
 * One batch through a frozen ViT in inference mode (random weights): images per second and effective GFLOP/s from
 * the tower's matrix products (patch embedding, q/k/v/projection, the two attention products, the MLP).
 */
public final class VisionBench {

    /** A named ViT shape at 224 px, patch 14. */
    public enum Shape {
        /** CLIP ViT-L/14: 1024 wide, 24 layers, 16 heads, MLP 4096. */
        VIT_L_14(new VisionConfig(1024, 4096, 24, 16, 224, 14, 1e-5, Activation.QUICK_GELU, true, 0.0, 3)),
        /** EVA ViT-g/14 as BLIP-2 uses it: 1408 wide, 39 layers, 16 heads, MLP 6144. */
        VIT_G_14(VisionConfig.evaVitG());

        final VisionConfig config;

        Shape(VisionConfig config) {
            this.config = config;
        }

        /** Forward FLOPs of one image. */
        double flopsPerImage() {
            VisionConfig c = config;
            double tokens = Math.pow((double) c.imageSize() / c.patchSize(), 2) + 1;
            double d = c.hiddenSize();
            double perLayer = 2 * tokens * d * d * 4 + 2 * 2 * tokens * tokens * d + 2 * 2 * tokens * d
                    * c.intermediateSize();
            return c.numHiddenLayers() * perLayer + 2 * (tokens - 1) * 3 * c.patchSize() * c.patchSize() * d;
        }
    }

    private VisionBench() {}

    public static BenchResult run(Shape shape, int batch, int warmup, int steps) {
        Nd4j.getRandom().setSeed(0);
        Blip2VisionTower tower = new Blip2VisionTower(shape.config, QkvBias.FUSED, DataType.FLOAT);
        tower.namedParameters().values().forEach(p -> p.data().assign(Nd4j.randn(DataType.FLOAT, p.shape())
                .muli(p.rank() == 1 ? 0.02 : 1.0 / Math.sqrt(p.size(-1)))));
        tower.freeze();
        int s = shape.config.imageSize();
        INDArray pixels = Nd4j.randn(DataType.FLOAT, batch, 3, s, s);
        BenchResult timed = BenchRunner.run("vision", warmup, steps, batch * shape.flopsPerImage(),
                () -> tower.encode(Tensor.constant(pixels)), Map.of());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("shape", shape.name());
        details.put("batch", batch);
        details.put("images_per_s", Math.round(batch / (timed.median() / 1000) * 100) / 100.0);
        details.put("parameters", tower.parameterCount());
        return new BenchResult(timed.name(), timed.millis(), timed.flopsPerUnit(), timed.peakRssMb(), timed.endRssMb(),
                details);
    }
}
