package org.tiaoyu.qformer.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.core.qformer.Stage1Loss;
import org.tiaoyu.qformer.train.optim.AdamW;

/**
 * One full stage-1 training step — ITC + ITM + ITG in LAVIS's four Q-Former passes, backward, AdamW (LAVIS's
 * settings) — on random image features (the frozen ViT is not part of the step), in training mode with dropout.
 * FLOPs counted: the matrix products of LAVIS's step — the four passes and the heads, three times over (forward,
 * and the two products of backward) except the image's key/value projections, twice (no gradient for the frozen
 * features): 1,711 GFLOP at the default shape, the figure DESIGN §7 gives PyTorch's time for. Effective GFLOP/s are
 * on that count; we do less (each image's keys/values once, not for 4B images), reported as {@code gflop_done}.
 */
public final class Stage1Bench {

    /** The step's shape; {@link #bertBaseOnVitG()} is LAVIS's BLIP-2 stage 1 at batch 8. */
    public record Shape(int batch, int layers, int hidden, int heads, int ffn, int queries, int textLength,
            int imageTokens, int visionWidth, int crossFrequency, int vocab, int embedDim) {

        public static Shape bertBaseOnVitG() {
            return new Shape(8, 12, 768, 12, 3072, 32, 32, 257, 1408, 2, 30522, 256);
        }

        /** LAVIS's step: everything three times, the image key/value projections (for 4B images) twice. */
        public double lavisFlops() {
            return 3 * forwardFlops() - imageKeyValueFlops(4 * batch);
        }

        /** This implementation's step: the image key/value projections for B images only. */
        public double flopsDone() {
            return lavisFlops() - 2 * imageKeyValueFlops(3 * batch);
        }

        private double imageKeyValueFlops(double images) {
            return (double) ((layers + crossFrequency - 1) / crossFrequency) * 2 * 2 * images * imageTokens
                    * visionWidth * hidden;
        }

        /** Analytic forward FLOPs of LAVIS's four passes and the heads (2 per multiply-add). */
        public double forwardFlops() {
            double b = batch;
            double d = hidden;
            double q = queries;
            double t = textLength;
            double n = imageTokens;
            double crossLayers = (layers + crossFrequency - 1) / crossFrequency;
            double imagePass = layers * (selfAttention(b, q, q) + ffn(b * q)) + crossLayers * cross(b);
            double textPass = layers * (selfAttention(b, t, t) + ffn(b * t));
            double itmPass = layers * (selfAttention(3 * b, q + t, q + t) + ffn(3 * b * (q + t)))
                    + crossLayers * cross(3 * b);
            double itgPass = layers * (selfAttention(b, t, q + t) + ffn(b * t));
            double heads = 2 * b * t * d * (d + vocab)                  // ITG transform + tied decoder
                    + 2 * (b * q + b) * d * embedDim + 2 * 3 * b * q * d * 2; // ITC projections, ITM head
            return imagePass + textPass + itmPass + itgPass + heads;
        }

        /**
         * {@code rows} tokens attending to {@code keys} keys (more than {@code rows} when cached query keys are
         * prepended): the four projections of the rows, and the scores and context products.
         */
        private double selfAttention(double b, double rows, double keys) {
            return 4 * 2 * b * rows * hidden * hidden + 2 * 2 * b * rows * keys * hidden;
        }

        private double ffn(double tokens) {
            return 2 * 2 * tokens * hidden * ffn;
        }

        private double cross(double b) {
            return 2 * b * queries * hidden * hidden * 2                 // query and output projections
                    + 2 * 2 * b * imageTokens * visionWidth * hidden     // key and value of the image
                    + 2 * 2 * b * queries * imageTokens * hidden;        // scores and context
        }
    }

    private Stage1Bench() {}

    public static BenchResult run(Shape s, int warmup, int steps) {
        QFormerConfig q = QFormerConfig.bert(s.vocab(), s.hidden(), s.layers(), s.heads(), s.ffn(),
                s.crossFrequency(), s.visionWidth());
        ImageTextQFormer model = new ImageTextQFormer(Blip2Config.forQFormer(q, s.queries(), s.embedDim()),
                DataType.FLOAT);
        Rng rng = new Rng(0);
        model.initialize(rng);
        model.train(rng);
        AdamW optimizer = AdamW.forModule(model, AdamW.Options.lavisStage1());
        Stage1Loss objective = new Stage1Loss(model, s.vocab() - 1, 0);
        Stage1Loss.Batch batch = randomBatch(s, rng);
        double[] lastLoss = {Double.NaN};
        BenchResult timed = BenchRunner.run("stage1", warmup, steps, s.lavisFlops(), () -> {
            optimizer.zeroGrad();
            Stage1Loss.Result r = objective.compute(batch, rng);
            r.loss().backward();
            optimizer.step();
            lastLoss[0] = r.loss().item();
        }, Map.of());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("loss", lastLoss[0]);
        details.put("gflop_lavis", Math.round(s.lavisFlops() / 1e8) / 10.0);
        details.put("gflop_done", Math.round(s.flopsDone() / 1e8) / 10.0);
        details.put("parameters", model.parameterCount());
        details.put("shape", s);
        return new BenchResult(timed.name(), timed.millis(), timed.flopsPerUnit(), timed.peakRssMb(), timed.endRssMb(),
                details);
    }

    private static Stage1Loss.Batch randomBatch(Shape s, Rng rng) {
        INDArray image = Nd4j.create(DataType.FLOAT, s.batch(), s.imageTokens(), s.visionWidth());
        rng.fillNormal(image, 0.0, 1.0);
        INDArray ids = Nd4j.zeros(DataType.INT64, s.batch(), s.textLength());
        INDArray mask = Nd4j.ones(DataType.INT64, s.batch(), s.textLength());
        for (int b = 0; b < s.batch(); b++) {
            for (int t = 0; t < s.textLength(); t++) {
                ids.putScalar(b, t, 1 + (long) (rng.nextDouble() * (s.vocab() - 2)));
            }
        }
        return new Stage1Loss.Batch(Tensor.constant(image), ids, mask);
    }
}
