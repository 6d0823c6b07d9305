package org.tiaoyu.qformer.core.qformer;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.config.VisionConfig;

/**
 * Tiny double-precision {@link ImageTextQFormer}s with every parameter non-trivial (random LayerNorm weights and
 * biases, random linear biases), for tests that probe behaviour rather than parity.
 */
final class TinyQFormers {

    private TinyQFormers() {}

    /**
     * A stage-1 config: no dropout, eps 1e-12, pad id 0, vision width {@code imageWidth} (the cross-attention's
     * source width), the fixture's OPT text config (unused by the Q-Former).
     */
    static Blip2Config config(int hidden, int heads, int layers, int intermediate, int crossAttentionFrequency,
            int queries, int vocab, int maxPositions, int imageWidth, int projection, double initializerRange) {
        QFormerConfig q = new QFormerConfig(vocab, hidden, layers, heads, intermediate, Activation.GELU, 0.0, 0.0,
                maxPositions, initializerRange, 1e-12, 0, crossAttentionFrequency, imageWidth, true);
        VisionConfig vision = new VisionConfig(imageWidth, 2 * imageWidth, 1, 2, 4, 2, 1e-6, Activation.GELU, true,
                0.0, 3);
        var text = Blip2Config.read(Fixtures.path("hf/public/retrieval_model")).text();
        return new Blip2Config(vision, q, text, queries, OptionalInt.empty(), projection,
                List.of("Blip2ForImageTextRetrieval"), initializerRange, 1.0);
    }

    /**
     * The model initialised from {@code seed}, then every bias set to N(0, {@code biasStd}²) and every LayerNorm
     * weight to 1 + N(0, 0.3²), so that no parameter is at its trivial initial value.
     */
    static ImageTextQFormer model(Blip2Config config, long seed, double biasStd) {
        ImageTextQFormer model = new ImageTextQFormer(config, DataType.DOUBLE);
        model.initialize(new Rng(seed));
        Rng rng = new Rng(seed + 1);
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            String name = e.getKey();
            INDArray p = e.getValue().data();
            if (name.toLowerCase().endsWith("layernorm.weight")) {
                for (long i = 0; i < p.length(); i++) {
                    p.putScalar(i, 1 + 0.3 * rng.nextGaussian());
                }
            } else if (name.endsWith("bias")) {
                for (long i = 0; i < p.length(); i++) {
                    p.putScalar(i, biasStd * rng.nextGaussian());
                }
            }
        }
        return model;
    }

    /** A double array of N(0, scale²) values, seeded. */
    static INDArray gaussian(long seed, double scale, long... shape) {
        Rng rng = new Rng(seed);
        INDArray a = Nd4j.create(DataType.DOUBLE, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, scale * rng.nextGaussian());
        }
        return a;
    }

    /** An int64 [rows.length, rows[0].length] array. */
    static INDArray longs(long[][] rows) {
        INDArray a = Nd4j.create(DataType.INT64, rows.length, rows[0].length);
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < rows[i].length; j++) {
                a.putScalar(i, j, rows[i][j]);
            }
        }
        return a;
    }
}
