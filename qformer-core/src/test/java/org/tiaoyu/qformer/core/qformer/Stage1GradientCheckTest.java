package org.tiaoyu.qformer.core.qformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.GradCheck;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.Stage1Loss.Batch;
import org.tiaoyu.qformer.core.qformer.Stage1Loss.Negatives;

/**
 * Finite differences of the WHOLE stage-1 loss (ITC + ITM + ITG through LAVIS's four passes, the ITG pass's
 * gradient into the cached query keys/values, the ITG decoder tied to the word embeddings, the temperature) agree
 * with backward on a tiny double-precision model — with given negatives, and with negatives sampled from a fixed
 * seed. And the hard-negative sampler is reproducible, never returns the positive, reads the right similarity
 * matrix for each side, and draws from LAVIS's weights softmax(sim) + 1e-4 with the positive at 0.
 *
 * <p>One loss evaluation costs tens of milliseconds, so {@link GradCheck} (every element) is used for the small
 * tensors, and the larger ones are checked at their element of largest |gradient| plus seeded elements, with
 * {@link GradCheck}'s step and tolerances (every element of all of them passes too, but takes minutes).
 */
class Stage1GradientCheckTest {

    static final long PAD = 0;
    static final long DEC = 19;
    static final int B = 3;
    static final int N = 4;    // image tokens
    static final int DV = 6;   // image width

    /** [CLS]=1 … [SEP]=2, right-padded with 0. */
    static final long[][] IDS = {{1, 5, 7, 9, 2}, {1, 6, 2, 0, 0}, {1, 8, 11, 2, 0}};
    static final long[][] MASK = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 1, 1, 1, 0}};

    /** One weight (or tensor) of every kind of block the loss goes through. */
    static final String[] CHECKED = {
            "temp",
            "query_tokens",
            "embeddings.word_embeddings.weight",                              // also the tied ITG decoder
            "qformer.encoder.layer.0.attention.attention.key.weight",         // cached for the ITG pass
            "qformer.encoder.layer.0.crossattention.attention.value.weight",
            "qformer.encoder.layer.1.intermediate_query.dense.weight",
            "qformer.encoder.layer.1.output.dense.weight",                    // the text feed-forward
            "cls.predictions.transform.dense.weight",
            "itm_head.weight",
            "vision_projection.weight",
            "text_projection.weight"};

    /** hidden 8, 2 heads, 2 layers (cross-attention in layer 0 only), 3 queries, vocab 20, projections 4. */
    static ImageTextQFormer tinyModel() {
        var config = TinyQFormers.config(8, 2, 2, 16, 2, 3, 20, 8, DV, 4, 0.3);
        return TinyQFormers.model(config, 3, 0.1);
    }

    static Tensor image() {
        return Tensor.variable(TinyQFormers.gaussian(21, 1.0, B, N, DV));
    }

    static Batch batch(Tensor image) {
        return new Batch(image, TinyQFormers.longs(IDS), TinyQFormers.longs(MASK));
    }

    static Map<String, Tensor> tensors(ImageTextQFormer model, Tensor image, String... names) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : names) {
            Tensor p = model.namedParameters().get(name);
            assertNotNull(p, "no parameter " + name);
            out.put(name, p);
        }
        out.put("image_embeds", image);
        return out;
    }

    // ---- gradient checks ----

    @Test
    void wholeLossWithGivenNegatives() {
        ImageTextQFormer model = tinyModel();
        Tensor image = image();
        Stage1Loss loss = new Stage1Loss(model, DEC, PAD);
        Negatives negatives = new Negatives(new long[] {2, 0, 1}, new long[] {1, 2, 0});
        Supplier<Tensor> f = () -> loss.compute(batch(image), negatives).loss();

        // Every element of the small ones.
        GradCheck.check(in -> f.get(), model.temp, model.itmHead.bias);
        // Seeded elements of one tensor of each block, and of the image features.
        checkElements(f, model, image, tensors(model, image, CHECKED), 1, 99);
    }

    @Test
    void wholeLossWithSampledNegatives() {
        ImageTextQFormer model = tinyModel();
        Tensor image = image();
        Stage1Loss loss = new Stage1Loss(model, DEC, PAD);
        long seed = 5;
        Negatives drawn;
        try (var noGrad = Grad.off()) {
            drawn = loss.compute(batch(image), new Rng(seed)).itm().negatives();
        }
        // Every evaluation draws again from the same seed; the tiny perturbations must not change the draw.
        Supplier<Tensor> f = () -> {
            Stage1Loss.Result r = loss.compute(batch(image), new Rng(seed));
            assertArrayEquals(drawn.imageForText(), r.itm().negatives().imageForText(), "draw changed");
            assertArrayEquals(drawn.textForImage(), r.itm().negatives().textForImage(), "draw changed");
            return r.loss();
        };
        checkElements(f, model, image, tensors(model, image, "temp", "query_tokens",
                "embeddings.word_embeddings.weight", "qformer.encoder.layer.0.attention.attention.key.weight",
                "itm_head.weight", "vision_projection.weight"), 1, 7);

        // Sampling only chooses the negatives: the same loss as with those negatives given.
        try (var noGrad = Grad.off()) {
            assertEquals(loss.compute(batch(image), drawn).loss().item(),
                    loss.compute(batch(image), new Rng(seed)).loss().item(), 0.0);
        }
    }

    /**
     * Central differences of the scalar {@code loss} against one backward, at {@code perTensor} seeded elements of
     * each tensor plus its element of largest |gradient| (which must not be zero: every checked tensor matters).
     */
    static void checkElements(Supplier<Tensor> loss, ImageTextQFormer model, Tensor image,
            Map<String, Tensor> tensors, int perTensor, long seed) {
        model.zeroGrad();
        image.zeroGrad();
        loss.get().backward();
        Rng rng = new Rng(seed);
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            INDArray x = e.getValue().data();
            assertNotNull(e.getValue().grad(), name + " received no gradient");
            INDArray analytic = e.getValue().grad().dup();
            long largest = argMaxAbs(analytic);
            assertTrue(Math.abs(analytic.getDouble(largest)) > 1e-6, name + ": gradient is all ~0");
            long[] elements = new long[perTensor + 1];
            elements[0] = largest;
            for (int k = 1; k <= perTensor; k++) {
                elements[k] = (long) (rng.nextDouble() * x.length());
            }
            for (long i : elements) {
                double original = x.getDouble(i);
                x.putScalar(i, original + STEP);
                double plus = value(loss);
                x.putScalar(i, original - STEP);
                double minus = value(loss);
                x.putScalar(i, original);
                double numeric = (plus - minus) / (2 * STEP);
                double got = analytic.getDouble(i);
                double tolerance = 1e-8 + 1e-5 * Math.max(Math.abs(numeric), Math.abs(got));
                if (Math.abs(numeric - got) > tolerance) {
                    fail(name + " element " + i + ": backward gives " + got + ", finite differences " + numeric);
                }
            }
        }
    }

    static final double STEP = 1e-6;

    static double value(Supplier<Tensor> loss) {
        try (var noGrad = Grad.off()) {
            return loss.get().item();
        }
    }

    static long argMaxAbs(INDArray a) {
        long best = 0;
        for (long i = 1; i < a.length(); i++) {
            if (Math.abs(a.getDouble(i)) > Math.abs(a.getDouble(best))) {
                best = i;
            }
        }
        return best;
    }

    // ---- the hard-negative sampler ----

    /** Stage1Loss's sampler for rows of distinct images: for each row, one column, never the row's own. */
    static long[] draw(INDArray sim, Rng rng) {
        return draw(sim, null, rng);
    }

    /** The sampler when rows show the images {@code imageIds} (null: all different). */
    static long[] draw(INDArray sim, long[] imageIds, Rng rng) {
        int n = (int) sim.size(0);
        return Stage1Loss.draw(sim, new Batch(null, Nd4j.zeros(DataType.INT64, n, 1), null, imageIds), rng);
    }

    @Test
    void sampledNegativesAreReproducibleNeverPositiveAndReadTheRightSimilarities() {
        ImageTextQFormer model = tinyModel();
        Tensor image = image();
        Stage1Loss loss = new Stage1Loss(model, DEC, PAD);
        try (var noGrad = Grad.off()) {
            Stage1Loss.Result first = loss.compute(batch(image), new Rng(0));
            INDArray simT2i = first.itc().simT2i().data().dup();
            INDArray simI2t = first.itc().simI2t().data().dup();
            boolean differentDraws = false;
            for (long seed = 0; seed < 4; seed++) {
                Stage1Loss.Result a = loss.compute(batch(image), new Rng(seed));
                Stage1Loss.Result b = loss.compute(batch(image), new Rng(seed));
                Negatives n = a.itm().negatives();
                assertArrayEquals(n.imageForText(), b.itm().negatives().imageForText(), "same seed, same draw");
                assertArrayEquals(n.textForImage(), b.itm().negatives().textForImage(), "same seed, same draw");
                assertEquals(a.loss().item(), b.loss().item(), 0.0, "same seed, same loss");
                for (int i = 0; i < B; i++) {
                    assertNotEquals(i, n.imageForText()[i], "text " + i + " got its own image as negative");
                    assertNotEquals(i, n.textForImage()[i], "image " + i + " got its own text as negative");
                }
                // LAVIS: a negative image per text from the rows of sim_t2i, then a negative text per image from
                // the rows of sim_i2t, from one generator.
                Rng rng = new Rng(seed);
                assertArrayEquals(draw(simT2i, rng), n.imageForText(), "negative images come from sim_t2i");
                assertArrayEquals(draw(simI2t, rng), n.textForImage(), "negative texts come from sim_i2t");
                differentDraws |= !Arrays.equals(n.imageForText(),
                        first.itm().negatives().imageForText());
            }
            assertTrue(differentDraws, "the seed makes no difference to the draw");
        }
    }

    /** LAVIS's weights: the row's own column filled with -10000, then the softmax of the row. */
    static double[] expectedProbabilities(double[] row, int self) {
        double[] masked = row.clone();
        masked[self] = -10000;
        double max = Arrays.stream(masked).max().orElseThrow();
        double sum = 0;
        for (double v : masked) {
            sum += Math.exp(v - max);
        }
        double[] p = new double[row.length];
        for (int j = 0; j < row.length; j++) {
            p[j] = Math.exp(masked[j] - max) / sum;
        }
        return p;
    }

    static void assertFollowsWeights(double[][] sim, int seeds) {
        int n = sim.length;
        INDArray s = Nd4j.create(sim).castTo(DataType.DOUBLE);
        int[][] counts = new int[n][n];
        for (int seed = 0; seed < seeds; seed++) {
            long[] picks = draw(s, new Rng(seed));
            for (int row = 0; row < n; row++) {
                assertNotEquals(row, picks[row], "row " + row + " drew its positive (seed " + seed + ")");
                assertTrue(picks[row] >= 0 && picks[row] < n, "pick out of range: " + picks[row]);
                counts[row][(int) picks[row]]++;
            }
        }
        for (int row = 0; row < n; row++) {
            double[] p = expectedProbabilities(sim[row], row);
            for (int j = 0; j < n; j++) {
                double freq = counts[row][j] / (double) seeds;
                double allowed = 5 * Math.sqrt(p[j] * (1 - p[j]) / seeds) + 2.0 / seeds;
                assertTrue(Math.abs(freq - p[j]) <= allowed, "row " + row + ", column " + j + ": drawn " + freq
                        + " of the time, weight " + p[j]);
            }
        }
    }

    @Test
    void samplerPicksADominantNegativeMostOfTheTime() {
        // Row 0: column 2 dominates among the negatives (the positive, column 0, is larger still but excluded).
        // Row 1: column 3 dominates. Row 2: column 1 (weight ~0.88). Row 3: all equal.
        double[][] sim = {
                {9.0, 0.0, 6.0, 0.5},
                {0.0, 1.0, -1.0, 8.0},
                {0.0, 4.0, 1.0, 2.0},
                {0.0, 0.0, 0.0, 0.0}};
        INDArray s = Nd4j.create(sim).castTo(DataType.DOUBLE);
        int[] dominant = {2, 3, 1};
        int[] hits = new int[3];
        for (int seed = 0; seed < 200; seed++) {
            long[] picks = draw(s, new Rng(seed));
            for (int row = 0; row < 3; row++) {
                if (picks[row] == dominant[row]) {
                    hits[row]++;
                }
            }
        }
        assertTrue(hits[0] >= 180, "row 0 picked its dominant negative " + hits[0] + "/200");
        assertTrue(hits[1] >= 190, "row 1 picked its dominant negative " + hits[1] + "/200");
        assertTrue(hits[2] >= 150, "row 2 picked its dominant negative " + hits[2] + "/200");
        assertFollowsWeights(sim, 4000);
    }

    @Test
    void samplerFollowsTheSoftmaxWeightsAndNeverPicksThePositive() {
        // Moderate similarities, and a row whose positive dominates everything (its negatives are then uniform).
        double[][] sim = {
                {2.0, 1.0, 0.0, -1.0, 0.5},
                {0.3, 0.2, 1.2, 0.7, -0.4},
                {-2.0, 1.5, 3.0, 1.5, 0.0},
                {0.0, 0.0, 0.0, 0.0, 0.0},
                {0.0, 0.0, 0.0, 0.0, 60.0}};
        assertFollowsWeights(sim, 4000);
        // Two rows: the only negative is always the pick.
        INDArray two = Nd4j.create(new double[][] {{5.0, -5.0}, {-5.0, 5.0}}).castTo(DataType.DOUBLE);
        for (int seed = 0; seed < 200; seed++) {
            assertArrayEquals(new long[] {1, 0}, draw(two, new Rng(seed)));
        }
    }

    @Test
    void samplerNeverPicksARowOfTheSameImage() {
        // Rows 0 and 2 show one image, rows 1 and 3 another: each row's only negatives are the other image's rows.
        INDArray sim = Nd4j.create(new double[][] {
                {1.0, 0.5, 9.0, 0.0}, {0.2, 1.0, 0.1, 9.0}, {9.0, 0.3, 1.0, 0.3}, {0.0, 9.0, 0.0, 1.0}})
                .castTo(DataType.DOUBLE);
        long[] ids = {7, 3, 7, 3};
        int[] seen = new int[4];
        for (int seed = 0; seed < 400; seed++) {
            long[] picks = draw(sim, ids, new Rng(seed));
            for (int row = 0; row < 4; row++) {
                assertNotEquals(ids[row], ids[(int) picks[row]], "row " + row + " drew a row of its own image");
                seen[(int) picks[row]]++;
            }
        }
        for (int j = 0; j < 4; j++) {
            assertTrue(seen[j] > 0, "column " + j + " is never drawn");
        }
    }

    @Test
    void itcWithImageIdsIsLabelSmoothingWhenDistinctAndSharesTheTargetOtherwise() {
        ImageTextQFormer model = tinyModel();
        Tensor image = image();
        Stage1Loss loss = new Stage1Loss(model, DEC, PAD);
        Negatives negatives = new Negatives(new long[] {2, 0, 1}, new long[] {1, 2, 0});
        Batch plain = batch(image);
        try (var noGrad = Grad.off()) {
            Batch distinct = new Batch(image, plain.inputIds(), plain.attentionMask(), new long[] {4, 5, 6});
            assertEquals(loss.compute(plain, negatives).itc().loss().item(),
                    loss.compute(distinct, negatives).itc().loss().item(), 1e-12);

            // Texts 0 and 2 describe one image: LAVIS's targets 0.9 * pos / pos.sum(1) + 0.1 / B.
            Batch shared = new Batch(image, plain.inputIds(), plain.attentionMask(), new long[] {4, 5, 4});
            Stage1Loss.Itc itc = loss.compute(shared, negatives).itc();
            double[][] targets = {{0.45, 0, 0.45}, {0, 0.9, 0}, {0.45, 0, 0.45}};
            double expected = 0;
            for (INDArray sim : new INDArray[] {itc.simI2t().data(), itc.simT2i().data()}) {
                for (int i = 0; i < B; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < B; j++) {
                        max = Math.max(max, sim.getDouble(i, j));
                    }
                    double logSum = 0;
                    for (int j = 0; j < B; j++) {
                        logSum += Math.exp(sim.getDouble(i, j) - max);
                    }
                    logSum = Math.log(logSum) + max;
                    for (int j = 0; j < B; j++) {
                        expected -= (targets[i][j] + 0.1 / B) * (sim.getDouble(i, j) - logSum) / B / 2;
                    }
                }
            }
            assertEquals(expected, itc.loss().item(), 1e-12);
        }
        Batch shared = new Batch(image, plain.inputIds(), plain.attentionMask(), new long[] {4, 5, 4});
        GradCheck.check(in -> loss.compute(shared, negatives).itc().loss(), model.temp,
                model.textProjection.bias);
    }

    @Test
    void aZeroWeightLeavesItsObjectiveOut() {
        ImageTextQFormer model = tinyModel();
        Tensor image = image();
        Negatives negatives = new Negatives(new long[] {2, 0, 1}, new long[] {1, 2, 0});
        try (var noGrad = Grad.off()) {
            Stage1Loss.Result all = new Stage1Loss(model, DEC, PAD).compute(batch(image), negatives);
            Stage1Loss.Result noItg = new Stage1Loss(model, DEC, PAD).weights(new Stage1Loss.Weights(1, 1, 0))
                    .compute(batch(image), negatives);
            assertEquals(null, noItg.itg());
            assertEquals(all.itc().loss().item() + all.itm().loss().item(), noItg.loss().item(), 1e-12);
            Stage1Loss.Result weighted = new Stage1Loss(model, DEC, PAD).weights(new Stage1Loss.Weights(0, 2, 0.5))
                    .compute(batch(image), negatives);
            assertEquals(2 * all.itm().loss().item() + 0.5 * all.itg().loss().item(), weighted.loss().item(), 1e-12);
        }
        assertThrows(IllegalArgumentException.class, () -> new Stage1Loss.Weights(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Stage1Loss.Weights(1, Double.NaN, 1));
    }
}
