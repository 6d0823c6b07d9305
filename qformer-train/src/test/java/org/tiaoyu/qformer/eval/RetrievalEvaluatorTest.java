package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.data.CaptionCleaner;
import org.tiaoyu.qformer.data.CaptionDataset;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.train.TinyRun;
import org.tiaoyu.qformer.vision.Blip2ImageTextRetrieval;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * The batched, re-ranking evaluator against LAVIS's recipe written out by brute force on the HF-parity scoring path
 * ({@link Blip2ImageTextRetrieval#score}): every pair's ITM and ITC, the full score matrices with −100 outside each
 * row's top k, then {@link RetrievalMetrics#fromScores}. Same ranks, for a k that re-ranks everything and one that
 * leaves most rows at −100.
 */
class RetrievalEvaluatorTest {

    private static final Path MODEL = TinyRun.repository().resolve("testdata/e2e/retrieval_model");

    private static RetrievalGallery gallery;
    private static Blip2ImageTextRetrieval model;
    private static float[][] itc;   // [images][texts]
    private static float[][] itm;   // [images][texts]

    @BeforeAll
    static void scoreEveryPair() {
        CaptionDataset data = CaptionDataset.read(TinyRun.repository().resolve(
                "examples/train/tiny-data/captions.jsonl"), null, null, new CaptionCleaner(50), r -> null);
        gallery = RetrievalGallery.of(data.records().subList(0, 14));             // 7 images, 2 captions each
        model = Blip2ImageTextRetrieval.load(MODEL);
        ImageProcessor processor = ImageProcessor.fromModelDir(MODEL);
        INDArray pixels = processor.pixelValues(gallery.images().stream().map(r -> r.file()).toList());
        EncodedBatch text;
        try (HfTokenizer tokenizer = HfTokenizer.load(MODEL)) {
            text = tokenizer.encodeBatch(gallery.texts(), PaddingSide.RIGHT, RetrievalEvaluator.MAX_TEXT_LENGTH);
        }
        int images = gallery.imageCount();
        int texts = gallery.textCount();
        itc = new float[images][];
        itm = new float[images][texts];
        for (int i = 0; i < images; i++) {                // image i with every text, pair by pair
            long[] repeat = new long[texts];
            Arrays.fill(repeat, i);
            Blip2ImageTextRetrieval.Scores scores = model.score(pixels.get(NDArrayIndex.indices(repeat)),
                    text.inputIdsArray(), text.attentionMaskArray());
            itc[i] = scores.itcPerImage().getRow(0).toFloatVector();
            for (int t = 0; t < texts; t++) {
                itm[i][t] = scores.itmLogits().getFloat(t, 1);
            }
        }
    }

    /** LAVIS's score matrices: ITM + ITC for each row's top k by ITC, −100 elsewhere. */
    private static RetrievalMetrics bruteForce(int k) {
        int images = gallery.imageCount();
        int texts = gallery.textCount();
        float[][] i2t = new float[images][texts];
        for (int i = 0; i < images; i++) {
            Arrays.fill(i2t[i], RetrievalEvaluator.OUTSIDE_TOP_K);
            for (int t : top(itc[i], k)) {
                i2t[i][t] = itm[i][t] + itc[i][t];
            }
        }
        float[][] t2i = new float[texts][images];
        for (int t = 0; t < texts; t++) {
            float[] column = new float[images];
            for (int i = 0; i < images; i++) {
                column[i] = itc[i][t];
            }
            Arrays.fill(t2i[t], RetrievalEvaluator.OUTSIDE_TOP_K);
            for (int i : top(column, k)) {
                t2i[t][i] = itm[i][t] + itc[i][t];
            }
        }
        return RetrievalMetrics.fromScores(i2t, t2i, gallery.textsOfImage(), gallery.imageOfText());
    }

    private static List<Integer> top(float[] values, int k) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            order.add(i);
        }
        order.sort((a, b) -> Float.compare(values[b], values[a]));
        return order.subList(0, Math.min(k, values.length));
    }

    private static RetrievalEvaluator.Result evaluate(int k, int batchSize) {
        try (HfTokenizer tokenizer = HfTokenizer.load(MODEL)) {
            RetrievalEvaluator evaluator = new RetrievalEvaluator(model.qformer, tokenizer,
                    GalleryImageEncoder.of(model.vision, ImageProcessor.fromModelDir(MODEL)),
                    new RetrievalEvaluator.Settings(k, batchSize));
            return evaluator.evaluate(gallery, RetrievalEvaluatorTest::noProgress);
        }
    }

    private static void noProgress(String phase, long done, long total) {
        assertTrue(done >= 1 && done <= total, phase + " " + done + "/" + total);
    }

    @Test
    void reRankingEverythingGivesLavisFigures() {
        RetrievalEvaluator.Result r = evaluate(128, 4);
        assertEquals(bruteForce(128).asMap(), r.metrics().asMap());
        assertEquals(gallery.imageCount(), r.textRanks().length);
        assertEquals(gallery.textCount(), r.imageRanks().length);
    }

    @Test
    void aSmallKLeavesTheRestAtMinusOneHundredAsLavisDoes() {
        RetrievalMetrics small = evaluate(2, 3).metrics();
        assertEquals(bruteForce(2).asMap(), small.asMap());
        assertNotEquals(bruteForce(128).asMap(), small.asMap(), "the -100 rows change the figures here");
        assertArrayEquals(evaluate(2, 1).imageRanks(), evaluate(2, 5).imageRanks(), "batching changes nothing");
    }

    @Test
    void theGalleryGroupsCaptionsByImage() {
        assertEquals(7, gallery.imageCount());
        assertEquals(14, gallery.textCount());
        assertArrayEquals(new int[] {2, 3}, gallery.textsOfImage()[1]);
        assertEquals(3, gallery.imageOfText()[6]);
        assertTrue(Nd4j.createFromArray(itc[0]).maxNumber().doubleValue() <= 1.0 + 1e-6, "cosine similarities");
    }
}
