package org.tiaoyu.qformer.core.qformer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.QFormerModel.ImageContext;
import org.tiaoyu.qformer.core.qformer.QFormerModel.Output;

/**
 * BLIP-2's stage-1 objective exactly as LAVIS's {@code Blip2Qformer.forward} computes it, in its four Q-Former
 * passes: the queries over the image (keeping their self-attention keys/values), the text alone, ITM over the 3B
 * pairs, and ITG over the text rows attending to the cached query keys/values. One saving over LAVIS, with the same
 * result: each image's cross-attention keys/values are computed once and gathered for the ITM pairs, not
 * recomputed for 4B images.
 * <ul>
 *   <li>ITC: image features {@code normalize(vision_proj(queries))} [B,Q,E] against the text feature
 *       {@code normalize(text_proj([CLS]))}; similarity = max over queries, divided by the learnable temperature
 *       (clamped to [0.001, 0.5] first, in place, as LAVIS does); symmetric cross-entropy, label smoothing 0.1.</li>
 *   <li>ITM: one hard-negative image per text and one hard-negative text per image, drawn from the softmax of the
 *       ITC similarities with the positives excluded (or given); pairs [positives; text + negative image;
 *       negative text + image], labels [1]·B + [0]·2B; logits = {@code itm_head} averaged over the queries.</li>
 *   <li>ITG: [DEC] replaces the first token; next-token cross-entropy with label smoothing 0.1, padding ignored.</li>
 * </ul>
 * The total is ITC + ITM + ITG plus any {@link Term}s added with their weights.
 */
public final class Stage1Loss {

    /** LAVIS's label smoothing for ITC and ITG. */
    public static final double LABEL_SMOOTHING = 0.1;
    private static final long IGNORE = -100;

    /**
     * One batch: image features [B, N, Dv] (the frozen vision tower's output), Q-Former text ids and mask [B, T]
     * ({@code [CLS] … [SEP]}, right-padded).
     */
    public record Batch(Tensor imageEmbeds, INDArray inputIds, INDArray attentionMask) {
        public long size() {
            return inputIds.size(0);
        }
    }

    /** The ITM negatives: for text b, the index of its negative image; for image b, that of its negative text. */
    public record Negatives(long[] imageForText, long[] textForImage) {}

    /** A loss term of your own: any function of the passes' outputs and the batch, built from the engine's ops. */
    @FunctionalInterface
    public interface Term {
        Tensor compute(Outputs outputs, Batch batch);
    }

    /** What the passes produced, for inspection and for {@link Term}s. */
    public record Outputs(Output imagePass, Output textPass, Output itmPass, Output itgPass, Tensor imageFeats,
            Tensor textFeat) {}

    /** ITC: its loss, the similarities (already divided by the temperature) [B, B], and the features. */
    public record Itc(Tensor loss, Tensor simI2t, Tensor simT2i) {}

    /** ITM: its loss, logits [3B, 2], labels, and the negatives used. */
    public record Itm(Tensor loss, Tensor logits, long[] labels, Negatives negatives) {}

    /** ITG: its loss, scores [B, T, V] at every text position (before the shift), decoder ids and labels [B, T]. */
    public record Itg(Tensor loss, Tensor logits, INDArray decoderInputIds, INDArray labels) {}

    /** Everything a step computed; {@code loss} is what to backpropagate. */
    public record Result(Tensor loss, Itc itc, Itm itm, Itg itg, Map<String, Tensor> terms, Outputs outputs) {}

    private record WeightedTerm(String name, double weight, Term term) {}

    private final ImageTextQFormer model;
    private final long decoderStartId;
    private final long padId;
    private final List<WeightedTerm> terms = new ArrayList<>();

    /**
     * @param decoderStartId the [DEC] token that replaces [CLS] for ITG (the tokenizer's bos)
     * @param padId          the padding token, which ITG does not predict
     */
    public Stage1Loss(ImageTextQFormer model, long decoderStartId, long padId) {
        this.model = model;
        this.decoderStartId = decoderStartId;
        this.padId = padId;
    }

    /** Adds {@code weight · term} to the total; returns this. */
    public Stage1Loss addTerm(String name, double weight, Term term) {
        terms.add(new WeightedTerm(name, weight, term));
        return this;
    }

    /** A step with hard negatives drawn from {@code rng}, as LAVIS samples them. */
    public Result compute(Batch batch, Rng rng) {
        return compute(batch, null, rng);
    }

    /** A step with the given negatives (deterministic; what the parity fixture fixes). */
    public Result compute(Batch batch, Negatives negatives) {
        return compute(batch, negatives, null);
    }

    private Result compute(Batch batch, Negatives given, Rng rng) {
        if (batch.size() < 2) {
            throw new IllegalArgumentException("stage 1 needs a batch of at least 2 (ITM draws negatives from it)");
        }
        clampTemperature();
        ImageContext image = model.qformer.encodeImage(batch.imageEmbeds()); // once, for the image and ITM passes
        Output imagePass = model.imagePass(image, batch.size());
        Output textPass = model.textPass(batch.inputIds(), batch.attentionMask());
        Tensor imageFeats = model.imageFeatures(imagePass);                   // [B, Q, E]
        Tensor textFeat = model.textFeature(textPass);                        // [B, E]
        Itc itc = itc(imageFeats, textFeat);

        Negatives negatives = given != null ? given : sampleNegatives(itc, rng);
        Output itmPass = itmPass(batch, image, negatives);
        Itm itm = itm(itmPass, negatives);

        INDArray decoderIds = batch.inputIds().dup();
        decoderIds.get(NDArrayIndex.all(), NDArrayIndex.point(0)).assign(decoderStartId);
        Output itgPass = model.textOverQueriesPass(decoderIds, batch.attentionMask(), imagePass);
        Itg itg = itg(itgPass, decoderIds);

        Outputs outputs = new Outputs(imagePass, textPass, itmPass, itgPass, imageFeats, textFeat);
        Tensor total = itc.loss().add(itm.loss()).add(itg.loss());
        Map<String, Tensor> termValues = new LinkedHashMap<>();
        for (WeightedTerm t : terms) {
            Tensor value = t.term().compute(outputs, batch);
            termValues.put(t.name(), value);
            total = total.add(value.mul(t.weight()));
        }
        return new Result(total, itc, itm, itg, termValues, outputs);
    }

    /** LAVIS: {@code with torch.no_grad(): self.temp.clamp_(0.001, 0.5)}. */
    private void clampTemperature() {
        INDArray t = model.temp.data();
        t.assign(Math.min(0.5, Math.max(0.001, t.getDouble(0))));
    }

    private Itc itc(Tensor imageFeats, Tensor textFeat) {
        long b = imageFeats.size(0);
        Tensor best = ImageTextQFormer.imageTextSimilarity(imageFeats, textFeat);   // [B_image, B_text]
        Tensor simI2t = best.div(model.temp);
        Tensor simT2i = best.transpose(0, 1).div(model.temp);                  // sim_t2q's max is the same number
        long[] targets = new long[(int) b];
        for (int i = 0; i < b; i++) {
            targets[i] = i;
        }
        Tensor loss = Ops.crossEntropy(simI2t, targets, LABEL_SMOOTHING, IGNORE)
                .add(Ops.crossEntropy(Ops.contiguous(simT2i), targets, LABEL_SMOOTHING, IGNORE)).mul(0.5);
        return new Itc(loss, simI2t, simT2i);
    }

    /**
     * LAVIS: {@code weights = softmax(sim, dim=1) + 1e-4} with the diagonal zeroed, one {@code multinomial} draw per
     * row, without gradient.
     */
    private static Negatives sampleNegatives(Itc itc, Rng rng) {
        if (rng == null) {
            throw new IllegalArgumentException("negatives are sampled, so a random generator is needed");
        }
        try (var noGrad = Grad.off()) {
            return new Negatives(draw(itc.simT2i().data(), rng), draw(itc.simI2t().data(), rng));
        }
    }

    private static long[] draw(INDArray sim, Rng rng) {
        int n = (int) sim.size(0);
        long[] out = new long[n];
        for (int row = 0; row < n; row++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                max = Math.max(max, sim.getDouble(row, j));
            }
            double[] weights = new double[n];
            double sum = 0;
            for (int j = 0; j < n; j++) {
                weights[j] = Math.exp(sim.getDouble(row, j) - max);
                sum += weights[j];
            }
            double total = 0;
            for (int j = 0; j < n; j++) {
                weights[j] = j == row ? 0 : weights[j] / sum + 1e-4;
                total += weights[j];
            }
            double u = rng.nextDouble() * total;
            int pick = 0;
            double cumulative = weights[0];
            while (u >= cumulative && pick < n - 1) {
                cumulative += weights[++pick];
            }
            out[row] = pick == row ? (row + 1) % n : pick; // rounding at the very end must not pick the positive
        }
        return out;
    }

    /** [positives; text b + image neg[b]; text neg[b] + image b], the images' keys/values gathered, not recomputed. */
    private Output itmPass(Batch batch, ImageContext image, Negatives negatives) {
        int b = (int) batch.size();
        long[] imageRows = new long[3 * b];
        for (int i = 0; i < b; i++) {
            imageRows[i] = i;
            imageRows[b + i] = negatives.imageForText()[i];
            imageRows[2 * b + i] = i;
        }
        INDArray idsAll = Nd4j.concat(0, batch.inputIds(), batch.inputIds(),
                rows(batch.inputIds(), negatives.textForImage()));
        INDArray maskAll = Nd4j.concat(0, batch.attentionMask(), batch.attentionMask(),
                rows(batch.attentionMask(), negatives.textForImage()));
        return model.jointPass(idsAll, maskAll, image.select(imageRows), MaskStrategy.BIDIRECTIONAL);
    }

    private Itm itm(Output itmPass, Negatives negatives) {
        Tensor logits = model.itmLogits(itmPass);                              // [3B, 2]
        int b = negatives.imageForText().length;
        long[] labels = new long[3 * b];
        for (int i = 0; i < b; i++) {
            labels[i] = 1;
        }
        return new Itm(Ops.crossEntropy(logits, labels, 0.0, IGNORE), logits, labels, negatives);
    }

    private Itg itg(Output itgPass, INDArray decoderIds) {
        Tensor logits = model.itgLogits(itgPass);                              // [B, T, V]
        long b = logits.size(0);
        long t = logits.size(1);
        long v = logits.size(2);
        INDArray labels = decoderIds.dup();
        long[] targets = new long[(int) (b * (t - 1))];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                if (decoderIds.getLong(i, j) == padId) {
                    labels.putScalar(i, j, IGNORE);
                }
                if (j > 0) { // position j-1 predicts token j
                    targets[(int) (i * (t - 1) + j - 1)] = labels.getLong(i, j);
                }
            }
        }
        Tensor shifted = Ops.contiguous(logits.slice(1, 0, t - 1)).reshape(b * (t - 1), v);
        return new Itg(Ops.crossEntropy(shifted, targets, LABEL_SMOOTHING, IGNORE), logits, decoderIds, labels);
    }

    private static INDArray rows(INDArray a, long[] index) {
        int[] rows = new int[index.length];
        for (int i = 0; i < index.length; i++) {
            rows[i] = (int) index[i];
        }
        return Nd4j.pullRows(a, 1, rows);
    }
}
