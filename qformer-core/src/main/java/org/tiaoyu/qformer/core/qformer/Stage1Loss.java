package org.tiaoyu.qformer.core.qformer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
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
 *       (clamped to [0.001, 0.5] first, in place, as LAVIS does); symmetric cross-entropy, label smoothing 0.1.
 *       With image ids ({@link Batch#imageIds}) that repeat, LAVIS's soft targets: every pair showing the same
 *       image is a positive, {@code 0.9 · pos / pos.sum(1) + 0.1 / B} (the same as label smoothing when the ids
 *       are distinct).</li>
 *   <li>ITM: one hard-negative image per text and one hard-negative text per image, drawn from the softmax of the
 *       ITC similarities with the positives (the pair itself, and pairs of the same image id) filled with -10000
 *       first, as LAVIS does now (or given); pairs [positives; text + negative image; negative text + image],
 *       labels [1]·B + [0]·2B; logits = {@code itm_head} averaged over the queries.</li>
 *   <li>ITG: [DEC] replaces the first token; next-token cross-entropy with label smoothing 0.1, padding ignored.</li>
 * </ul>
 * The total is {@code itc·ITC + itm·ITM + itg·ITG} ({@link Weights}, 1 each as LAVIS adds them) plus any
 * {@link Term}s added with their weights. An objective of weight 0 is not computed (ITC's similarities still are
 * when ITM needs them for its negatives), for ablations.
 */
public final class Stage1Loss {

    /** LAVIS's label smoothing for ITC and ITG. */
    public static final double LABEL_SMOOTHING = 0.1;
    private static final long IGNORE = -100;

    /**
     * One batch: image features [B, N, Dv] (the frozen vision tower's output), Q-Former text ids and mask [B, T]
     * ({@code [CLS] … [SEP]}, right-padded).
     */
    public record Batch(Tensor imageEmbeds, INDArray inputIds, INDArray attentionMask, long[] imageIds) {

        /** A batch whose images are all different (no image ids). */
        public Batch(Tensor imageEmbeds, INDArray inputIds, INDArray attentionMask) {
            this(imageEmbeds, inputIds, attentionMask, null);
        }

        public Batch {
            if (imageIds != null && imageIds.length != inputIds.size(0)) {
                throw new IllegalArgumentException(imageIds.length + " image ids for a batch of " + inputIds.size(0));
            }
        }

        public long size() {
            return inputIds.size(0);
        }

        /** Whether rows i and j show the same image: i == j, or the same image id. */
        boolean sameImage(int i, int j) {
            return i == j || (imageIds != null && imageIds[i] == imageIds[j]);
        }
    }

    /** The weight of each objective in the total; 0 leaves an objective out. */
    public record Weights(double itc, double itm, double itg) {

        /** LAVIS: ITC + ITM + ITG. */
        public static final Weights LAVIS = new Weights(1, 1, 1);

        public Weights {
            for (double w : new double[] {itc, itm, itg}) {
                if (!(w >= 0 && Double.isFinite(w))) {
                    throw new IllegalArgumentException("loss weights must be finite and >= 0, got itc " + itc
                            + ", itm " + itm + ", itg " + itg);
                }
            }
            if (itc == 0 && itm == 0 && itg == 0) {
                throw new IllegalArgumentException("at least one of the itc, itm and itg weights must be above 0");
            }
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

    /**
     * Everything a step computed; {@code loss} is what to backpropagate. {@code itm} and {@code itg} are null when
     * their weight is 0 ({@code itc} is always there: ITM draws its negatives from it).
     */
    public record Result(Tensor loss, Itc itc, Itm itm, Itg itg, Map<String, Tensor> terms, Outputs outputs) {}

    private record WeightedTerm(String name, double weight, Term term) {}

    private final ImageTextQFormer model;
    private final long decoderStartId;
    private final long padId;
    private final List<WeightedTerm> terms = new ArrayList<>();
    private Weights weights = Weights.LAVIS;

    /**
     * @param decoderStartId the [DEC] token that replaces [CLS] for ITG (the tokenizer's bos)
     * @param padId          the padding token, which ITG does not predict
     */
    public Stage1Loss(ImageTextQFormer model, long decoderStartId, long padId) {
        this.model = model;
        this.decoderStartId = decoderStartId;
        this.padId = padId;
    }

    /** Sets the objectives' weights; returns this. */
    public Stage1Loss weights(Weights weights) {
        this.weights = weights;
        return this;
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
        Itc itc = itc(imageFeats, textFeat, batch);
        Tensor total = weighted(null, itc.loss(), weights.itc());

        Output itmPass = null;
        Itm itm = null;
        if (weights.itm() > 0) {
            Negatives negatives = given != null ? given : sampleNegatives(itc, batch, rng);
            itmPass = itmPass(batch, image, negatives);
            itm = itm(itmPass, negatives);
            total = weighted(total, itm.loss(), weights.itm());
        }

        Output itgPass = null;
        Itg itg = null;
        if (weights.itg() > 0) {
            INDArray decoderIds = batch.inputIds().dup();
            decoderIds.get(NDArrayIndex.all(), NDArrayIndex.point(0)).assign(decoderStartId);
            itgPass = model.textOverQueriesPass(decoderIds, batch.attentionMask(), imagePass);
            itg = itg(itgPass, decoderIds);
            total = weighted(total, itg.loss(), weights.itg());
        }

        Outputs outputs = new Outputs(imagePass, textPass, itmPass, itgPass, imageFeats, textFeat);
        Map<String, Tensor> termValues = new LinkedHashMap<>();
        for (WeightedTerm t : terms) {
            Tensor value = t.term().compute(outputs, batch);
            termValues.put(t.name(), value);
            total = total.add(value.mul(t.weight()));
        }
        return new Result(total, itc, itm, itg, termValues, outputs);
    }

    /** {@code total + weight · loss}; a weight of 1 adds the loss as it is (the parity fixture's arithmetic). */
    private static Tensor weighted(Tensor total, Tensor loss, double weight) {
        if (weight == 0) {
            return total;
        }
        Tensor term = weight == 1 ? loss : loss.mul(weight);
        return total == null ? term : total.add(term);
    }

    /** LAVIS: {@code with torch.no_grad(): self.temp.clamp_(0.001, 0.5)}. */
    private void clampTemperature() {
        INDArray t = model.temp.data();
        t.assign(Math.min(0.5, Math.max(0.001, t.getDouble(0))));
    }

    private Itc itc(Tensor imageFeats, Tensor textFeat, Batch batch) {
        int b = (int) imageFeats.size(0);
        Tensor best = ImageTextQFormer.imageTextSimilarity(imageFeats, textFeat);   // [B_image, B_text]
        Tensor simI2t = best.div(model.temp);
        Tensor simT2i = Ops.contiguous(best.transpose(0, 1).div(model.temp));  // sim_t2q's max is the same number
        Tensor loss;
        if (hasRepeatedImages(batch)) {
            Tensor targets = softTargets(batch, simI2t.dataType());
            loss = softCrossEntropy(simI2t, targets).add(softCrossEntropy(simT2i, targets)).mul(0.5);
        } else {
            long[] targets = new long[b];
            for (int i = 0; i < b; i++) {
                targets[i] = i;
            }
            loss = Ops.crossEntropy(simI2t, targets, LABEL_SMOOTHING, IGNORE)
                    .add(Ops.crossEntropy(simT2i, targets, LABEL_SMOOTHING, IGNORE)).mul(0.5);
        }
        return new Itc(loss, simI2t, simT2i);
    }

    private static boolean hasRepeatedImages(Batch batch) {
        int b = (int) batch.size();
        for (int i = 0; i < b; i++) {
            for (int j = i + 1; j < b; j++) {
                if (batch.sameImage(i, j)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** LAVIS: {@code pos = eq(ids, ids.t()); 0.9 * pos / pos.sum(1) + 0.1 / B} (a symmetric matrix). */
    private static Tensor softTargets(Batch batch, DataType type) {
        int b = (int) batch.size();
        INDArray targets = Nd4j.create(type, b, b);
        for (int i = 0; i < b; i++) {
            int positives = 0;
            for (int j = 0; j < b; j++) {
                positives += batch.sameImage(i, j) ? 1 : 0;
            }
            for (int j = 0; j < b; j++) {
                double pos = batch.sameImage(i, j) ? 1.0 / positives : 0.0;
                targets.putScalar(i, j, (1 - LABEL_SMOOTHING) * pos + LABEL_SMOOTHING / b);
            }
        }
        return Tensor.constant(targets);
    }

    /** {@code -sum(log_softmax(logits, 1) * targets, 1).mean()}. */
    private static Tensor softCrossEntropy(Tensor logits, Tensor targets) {
        return logits.logSoftmax(1).mul(targets).sum(1).mean().neg();
    }

    /**
     * LAVIS ({@code blip2_qformer.py} since "finetune BLIP-2 for coco retrieval"): the similarities of the positives
     * filled with -10000, {@code softmax(sim, dim=1)}, one {@code multinomial} draw per row, without gradient.
     */
    private static Negatives sampleNegatives(Itc itc, Batch batch, Rng rng) {
        if (rng == null) {
            throw new IllegalArgumentException("negatives are sampled, so a random generator is needed");
        }
        try (var noGrad = Grad.off()) {
            return new Negatives(draw(itc.simT2i().data(), batch, rng), draw(itc.simI2t().data(), batch, rng));
        }
    }

    static long[] draw(INDArray sim, Batch batch, Rng rng) {
        int n = (int) sim.size(0);
        long[] out = new long[n];
        double[] weights = new double[n];
        for (int row = 0; row < n; row++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                weights[j] = batch.sameImage(row, j) ? -10000 : sim.getDouble(row, j);
                max = Math.max(max, weights[j]);
            }
            double total = 0;
            for (int j = 0; j < n; j++) {
                weights[j] = Math.exp(weights[j] - max);
                total += weights[j];
            }
            double u = rng.nextDouble() * total;
            int pick = -1;
            double cumulative = 0;
            for (int j = 0; j < n && pick < 0; j++) {
                cumulative += weights[j];
                if (u < cumulative && weights[j] > 0) {
                    pick = j;
                }
            }
            out[row] = pick >= 0 ? pick : lastWithWeight(weights); // u at the very end of the range, by rounding
        }
        return out;
    }

    private static int lastWithWeight(double[] weights) {
        for (int j = weights.length - 1; j > 0; j--) {
            if (weights[j] > 0) {
                return j;
            }
        }
        return 0;
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
