package org.tiaoyu.qformer.examples;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.NativeBackend;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.core.qformer.Stage1Loss;

/**
 * Trains a tiny Q-Former on random image features and captions with ITC + ITM + ITG plus a term of one's own
 * ({@link QueryDiversityTerm}, weight 1), and prints the losses. Run it with
 * {@code mvn -q -pl examples exec:java -Dexec.mainClass=org.tiaoyu.qformer.examples.CustomLossExample} or from an IDE.
 */
public final class CustomLossExample {

    /** The diversity penalty after each step. */
    public record Run(List<Double> totals, List<Double> diversity) {}

    private CustomLossExample() {}

    /** Trains for {@code steps} steps of SGD at learning rate {@code lr}; the term is added with {@code weight}. */
    public static Run train(double weight, int steps, double lr, long seed) {
        QFormerConfig q = QFormerConfig.bert(50, 32, 2, 4, 64, 2, 24);
        ImageTextQFormer model = new ImageTextQFormer(Blip2Config.forQFormer(q, 4, 16), DataType.FLOAT);
        model.initialize(new Rng(seed));
        Stage1Loss objective = new Stage1Loss(model, 2, 0);
        QueryDiversityTerm diversity = new QueryDiversityTerm();
        if (weight != 0) {
            objective.addTerm("query_diversity", weight, diversity);
        }
        Rng rng = new Rng(seed + 1);
        Stage1Loss.Batch batch = randomBatch(rng, 4, 10, 24, 50);
        List<Double> totals = new ArrayList<>();
        List<Double> penalties = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            try (var arena = Arena.open("example")) {
                model.zeroGrad();
                Stage1Loss.Result r = objective.compute(batch, rng);
                r.loss().backward();
                model.trainableParameters().values().forEach(p -> p.data().subi(p.grad().mul(lr)));
                totals.add(r.loss().item());
                penalties.add(diversity.compute(r.outputs(), batch).item());
            }
        }
        return new Run(totals, penalties);
    }

    /** Random features [B, N, width] and captions {@code [CLS]=1 … [SEP]=3} of random lengths, right-padded. */
    static Stage1Loss.Batch randomBatch(Rng rng, int batch, int length, int width, int vocab) {
        INDArray image = Nd4j.create(DataType.FLOAT, batch, 8, width);
        rng.fillNormal(image, 0.0, 1.0);
        INDArray ids = Nd4j.zeros(DataType.INT64, batch, length);
        INDArray mask = Nd4j.zeros(DataType.INT64, batch, length);
        for (int b = 0; b < batch; b++) {
            int words = 3 + (int) (rng.nextDouble() * (length - 4));
            ids.putScalar(b, 0, 1);
            for (int t = 1; t <= words; t++) {
                ids.putScalar(b, t, 4 + (long) (rng.nextDouble() * (vocab - 4)));
            }
            ids.putScalar(b, words + 1, 3);
            for (int t = 0; t <= words + 1; t++) {
                mask.putScalar(b, t, 1);
            }
        }
        return new Stage1Loss.Batch(Tensor.constant(image), ids, mask);
    }

    public static void main(String[] args) {
        NativeBackend.configure();
        Run run = train(1.0, 30, 0.05, 7);
        for (int i = 0; i < run.totals().size(); i++) {
            System.out.printf("step %2d  loss %.4f  query diversity penalty %.4f%n", i + 1, run.totals().get(i),
                    run.diversity().get(i));
        }
    }
}
