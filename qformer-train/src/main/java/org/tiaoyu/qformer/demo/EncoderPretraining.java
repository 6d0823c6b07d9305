package org.tiaoyu.qformer.demo;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.demo.ShapeScene.Shape;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.train.optim.AdamW;
import org.tiaoyu.qformer.vision.Blip2VisionTower;

/**
 * What BLIP-2 assumes of its frozen encoders, made for the demo with the library's own engine: the vision tower
 * pretrained to classify what a picture shows (each shape's size, colour and form, and the relation — seven
 * classifiers on the class token), the language model pretrained to write a caption from its keywords. Both on the
 * training split only; then both are frozen.
 */
public final class EncoderPretraining {

    /** The classes of the vision tower's seven heads: first shape, relation, second shape. */
    static final int[] HEADS = {2, 4, 3, 2, 2, 4, 3};

    /** Hears each pretraining step's loss. */
    @FunctionalInterface
    public interface StepListener {
        void onStep(String model, int step, int steps, double loss);
    }

    private EncoderPretraining() {}

    /**
     * Trains the tower (from its current weights) on attribute classification.
     *
     * @param pixels [N, 3, S, S] the pictures as the processor makes them
     * @return the accuracy of every head on these pictures at the end, averaged over the heads
     */
    public static double trainVision(Blip2VisionTower tower, INDArray pixels, List<ShapeScene> scenes, int steps,
            int batchSize, double lr, long seed, StepListener listener) {
        Linear heads = new Linear(tower.config.hiddenSize(), Arrays.stream(HEADS).sum(), true, DataType.FLOAT);
        Rng rng = new Rng(seed);
        DemoModels.initialize(heads, rng);
        tower.unfreeze();
        Map<String, Tensor> params = new LinkedHashMap<>();
        tower.namedParameters().forEach((n, p) -> params.put("vision." + n, p));
        heads.namedParameters().forEach((n, p) -> params.put("heads." + n, p));
        AdamW optimizer = new AdamW(params, AdamW.Options.lavisStage1().withLr(lr).withWeightDecay(0.01));
        long[][] labels = scenes.stream().map(EncoderPretraining::labels).toArray(long[][]::new);
        for (int step = 0; step < steps; step++) {
            int[] rows = batch(rng, scenes.size(), batchSize);
            try (var arena = Arena.open("pretrain-vision")) {
                Tensor loss = visionLoss(tower, heads, select(pixels, rows), rows, labels);
                loss.backward();
                optimizer.setLr(cosine(lr, step, steps));
                optimizer.step();
                optimizer.zeroGrad();
                listener.onStep("vision", step + 1, steps, loss.item());
            }
        }
        tower.freeze();
        return visionAccuracy(tower, heads, pixels, labels);
    }

    /**
     * Trains the language model (from its current weights) to write a caption after a prefix of its keywords —
     * {@code [size colour form relation size colour form <pad>]} as token embeddings, then {@code </s> caption \n},
     * the loss on the caption and its newline. The prefix is as long as the Q-Former's query sequence: this is the
     * language model BLIP-2 presumes, one that already uses what comes before the text; stage 2 then has to make the
     * queries say those keywords. (Pretrained on bare captions instead, a model this small ignored any prefix, and
     * stage 2 stayed at the captions' unconditional loss.)
     */
    public static double trainLanguage(OptForCausalLm lm, HfTokenizer tokenizer, List<ShapeScene> scenes, int steps,
            int batchSize, double lr, long seed, StepListener listener) {
        Rng rng = new Rng(seed);
        lm.unfreeze();
        AdamW optimizer = new AdamW(lm.namedParameters(), AdamW.Options.lavisStage1().withLr(lr)
                .withWeightDecay(0.01));
        double last = Double.NaN;
        for (int step = 0; step < steps; step++) {
            List<ShapeScene> batch = Arrays.stream(batch(rng, scenes.size(), batchSize)).mapToObj(scenes::get)
                    .toList();
            try (var arena = Arena.open("pretrain-language")) {
                Tensor loss = languageLoss(lm, tokenizer, batch);
                loss.backward();
                optimizer.setLr(cosine(lr, step, steps));
                optimizer.step();
                optimizer.zeroGrad();
                last = loss.item();
                listener.onStep("language", step + 1, steps, last);
            }
        }
        lm.freeze();
        return last;
    }

    /** The keywords of a scene, in the prefix's order, padded to {@link DemoModels#QUERIES}. */
    static List<String> keywords(ShapeScene s) {
        List<String> words = new java.util.ArrayList<>(List.of(s.first().size(), s.first().colour(),
                s.first().form(), s.relation().split(" ")[0], s.second().size(), s.second().colour(),
                s.second().form()));
        while (words.size() < DemoModels.QUERIES) {
            words.add("<pad>");
        }
        return words;
    }

    /** Next-token cross-entropy on the caption and its newline after the keyword prefix and the bos. */
    static Tensor languageLoss(OptForCausalLm lm, HfTokenizer tokenizer, List<ShapeScene> scenes) {
        List<String> vocab = DemoTokenizers.languageModelVocabulary();
        int b = scenes.size();
        int q = DemoModels.QUERIES;
        long[][] prefix = new long[b][q];
        for (int i = 0; i < b; i++) {
            List<String> words = keywords(scenes.get(i));
            for (int j = 0; j < q; j++) {
                prefix[i][j] = vocab.indexOf(words.get(j));
            }
        }
        EncodedBatch text = tokenizer.encodeBatch(scenes.stream().map(s -> s.caption() + DemoTokenizers.NEWLINE)
                .toList(), PaddingSide.RIGHT);
        int t = text.length();
        INDArray mask = Nd4j.concat(1, Nd4j.ones(DataType.INT64, b, q), text.attentionMaskArray());
        Tensor embeds = Ops.concat(1, lm.embed(Nd4j.createFromArray(prefix)), lm.embed(text.inputIdsArray()));
        Tensor hidden = lm.forward(embeds, mask).lastHiddenState();
        Tensor logits = lm.logits(Ops.contiguous(hidden.slice(1, q, q + t - 1)));          // predicts text[1..]
        long[] targets = new long[b * (t - 1)];
        for (int i = 0; i < b; i++) {
            for (int j = 1; j < t; j++) {
                targets[i * (t - 1) + j - 1] = text.attentionMask()[i][j] == 0 ? -100 : text.inputIds()[i][j];
            }
        }
        return Ops.crossEntropy(logits.reshape((long) b * (t - 1), logits.size(2)), targets, 0.0, -100);
    }

    private static Tensor visionLoss(Blip2VisionTower tower, Linear heads, INDArray pixels, int[] rows,
            long[][] labels) {
        Tensor cls = classToken(tower, pixels);
        Tensor scores = heads.forward(cls);                                                  // [B, 20]
        Tensor total = null;
        int start = 0;
        for (int h = 0; h < HEADS.length; h++) {
            long[] targets = new long[rows.length];
            for (int i = 0; i < rows.length; i++) {
                targets[i] = labels[rows[i]][h];
            }
            Tensor part = Ops.crossEntropy(Ops.contiguous(scores.slice(1, start, start + HEADS[h])), targets, 0.0,
                    -100);
            total = total == null ? part : total.add(part);
            start += HEADS[h];
        }
        return total.mul(1.0 / HEADS.length);
    }

    private static Tensor classToken(Blip2VisionTower tower, INDArray pixels) {
        Tensor h = tower.forward(Tensor.constant(pixels)).lastHiddenState();               // [B, P+1, D]
        return Ops.contiguous(h.slice(1, 0, 1)).reshape(h.size(0), h.size(2));
    }

    private static double visionAccuracy(Blip2VisionTower tower, Linear heads, INDArray pixels, long[][] labels) {
        int n = (int) pixels.size(0);
        long right = 0;
        try (var noGrad = Grad.off()) {
            for (int start = 0; start < n; start += 64) {
                int[] rows = java.util.stream.IntStream.range(start, Math.min(n, start + 64)).toArray();
                float[][] scores = heads.forward(classToken(tower, select(pixels, rows))).data().toFloatMatrix();
                for (int i = 0; i < rows.length; i++) {
                    int offset = 0;
                    for (int h = 0; h < HEADS.length; h++) {
                        int best = 0;
                        for (int c = 1; c < HEADS[h]; c++) {
                            if (scores[i][offset + c] > scores[i][offset + best]) {
                                best = c;
                            }
                        }
                        right += best == labels[rows[i]][h] ? 1 : 0;
                        offset += HEADS[h];
                    }
                }
            }
        }
        return (double) right / ((long) n * HEADS.length);
    }

    /** The seven labels of a scene, in {@link #HEADS}' order. */
    static long[] labels(ShapeScene s) {
        return new long[] {size(s.first()), colour(s.first()), form(s.first()),
            ShapeScene.RELATIONS.indexOf(s.relation()), size(s.second()), colour(s.second()), form(s.second())};
    }

    private static long size(Shape s) {
        return ShapeScene.SIZES.indexOf(s.size());
    }

    private static long colour(Shape s) {
        return ShapeScene.COLOURS.indexOf(s.colour());
    }

    private static long form(Shape s) {
        return ShapeScene.FORMS.indexOf(s.form());
    }

    private static int[] batch(Rng rng, int n, int size) {
        int[] rows = new int[size];
        for (int i = 0; i < size; i++) {
            rows[i] = (int) (rng.nextDouble() * n);
        }
        return rows;
    }

    private static INDArray select(INDArray pixels, int[] rows) {
        return pixels.get(NDArrayIndex.indices(Arrays.stream(rows).asLongStream().toArray())).dup('c');
    }

    /** A cosine from {@code lr} to a tenth of it over the run, after a warm-up of a tenth of the steps. */
    static double cosine(double lr, int step, int steps) {
        int warmup = Math.max(1, steps / 10);
        if (step < warmup) {
            return lr * (step + 1) / warmup;
        }
        double progress = (double) (step - warmup) / Math.max(1, steps - warmup);
        return lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
