package org.tiaoyu.qformer.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.MemoryBudget;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.core.qformer.MaskStrategy;
import org.tiaoyu.qformer.core.qformer.QFormerModel.ImageContext;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.vision.Blip2ImageTextRetrieval;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * LAVIS's BLIP-2 retrieval evaluation ({@code blip2.compute_sim_matrix}, then {@code RetrievalTask._report_metrics}):
 * <ol>
 *   <li>every text's ITC feature (its first 35 tokens) and every image's query features, once;</li>
 *   <li>the ITC similarity of every pair, the best query's;</li>
 *   <li>for each image, its {@code k_test} most similar texts re-scored as ITM logit ("match") + ITC, every other
 *       text −100; for each text, its {@code k_test} most similar images likewise;</li>
 *   <li>the ranks of the right answers in those rows, and recall at 1, 5 and 10 ({@link RetrievalMetrics}).</li>
 * </ol>
 * The work runs in batches; the images' vision features wait in a temporary file ({@link SpilledFeatures}) and only
 * the similarity matrix (images × texts floats) is held whole, so galleries of thousands of images fit. The score
 * matrices LAVIS builds are not kept: each row is ranked as it is made. A {@code k_test} larger than the gallery
 * re-ranks all of it (LAVIS's {@code topk} would fail).
 */
public final class RetrievalEvaluator {

    /** LAVIS's retrieval {@code k_test}. */
    public static final int DEFAULT_K_TEST = 128;

    /** LAVIS tokenises retrieval texts to at most 35 tokens. */
    public static final int MAX_TEXT_LENGTH = 35;

    /**
     * Pairs per ITM pass: a row's whole top k at LAVIS's {@code k_test} (one pass costs little more than a few
     * small ones; 32 pairs a pass took 2.3 times as long on a 320-image gallery).
     */
    static final int PAIRS_PER_PASS = 128;

    /** LAVIS's score for the texts (images) outside a row's top k. */
    static final float OUTSIDE_TOP_K = -100f;

    /**
     * @param kTest     how many candidates of each row ITM re-ranks
     * @param batchSize images or texts encoded at once
     */
    public record Settings(int kTest, int batchSize) {
        public Settings {
            if (kTest < 1) {
                throw new IllegalArgumentException("k_test must be at least 1, got " + kTest);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("the batch size must be at least 1, got " + batchSize);
            }
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_K_TEST, 32);
        }
    }

    /**
     * @param metrics    the recalls
     * @param textRanks  per image, the best rank of its captions (0 = first)
     * @param imageRanks per text, the rank of its image
     */
    public record Result(RetrievalMetrics metrics, int[] textRanks, int[] imageRanks) {}

    private final ImageTextQFormer model;
    private final HfTokenizer tokenizer;
    private final GalleryImageEncoder images;
    private final Settings settings;

    /** The model must be in eval mode (no dropout); the tokenizer is the Q-Former's. */
    public RetrievalEvaluator(ImageTextQFormer model, HfTokenizer tokenizer, GalleryImageEncoder images,
            Settings settings) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.images = images;
        this.settings = settings;
    }

    /**
     * Evaluates a {@code Blip2ForImageTextRetrieval} directory or a stage-1 checkpoint (the same layout), with its
     * tokenizer and image processor.
     */
    public static Result evaluate(Path modelDir, RetrievalGallery gallery, Settings settings, EvalProgress progress) {
        Blip2ImageTextRetrieval model = Blip2ImageTextRetrieval.load(modelDir);
        try (HfTokenizer tokenizer = HfTokenizer.load(modelDir)) {
            GalleryImageEncoder images = GalleryImageEncoder.of(model.vision, ImageProcessor.fromModelDir(modelDir));
            return new RetrievalEvaluator(model.qformer, tokenizer, images, settings).evaluate(gallery, progress);
        }
    }

    public Result evaluate(RetrievalGallery gallery, EvalProgress progress) {
        try (var noGrad = Grad.off(); SpilledFeatures features = new SpilledFeatures()) {
            Texts texts = encodeTexts(gallery.texts(), progress);
            float[][] similarity = encodeImages(gallery.images(), texts.features(), features, progress);
            int[] textRanks = rankTexts(gallery, similarity, texts, features, progress);
            int[] imageRanks = rankImages(gallery, similarity, texts, features, progress);
            return new Result(RetrievalMetrics.fromRanks(textRanks, imageRanks), textRanks, imageRanks);
        }
    }

    /** Each text's token ids (unpadded) and the ITC features of all, [T, E]. */
    private record Texts(List<long[]> ids, INDArray features) {}

    private Texts encodeTexts(List<String> texts, EvalProgress progress) {
        List<long[]> ids = new ArrayList<>();
        List<INDArray> features = new ArrayList<>();
        for (int start = 0; start < texts.size(); start += settings.batchSize()) {
            List<String> batch = texts.subList(start, Math.min(texts.size(), start + settings.batchSize()));
            EncodedBatch encoded = tokenizer.encodeBatch(batch, PaddingSide.RIGHT, MAX_TEXT_LENGTH);
            for (int i = 0; i < encoded.size(); i++) {
                int length = (int) Arrays.stream(encoded.attentionMask()[i]).sum();
                ids.add(Arrays.copyOf(encoded.inputIds()[i], length));
            }
            try (var arena = Arena.open("retrieval-texts")) {
                Tensor feature = model.textFeature(model.textPass(encoded.inputIdsArray(),
                        encoded.attentionMaskArray()));
                features.add(Arena.keep(feature.data()));
            }
            progress.update("texts", start + batch.size(), texts.size());
        }
        return new Texts(ids, Nd4j.concat(0, features.toArray(INDArray[]::new)));
    }

    /** Spills every image's vision features and returns the ITC similarity matrix [images][texts]. */
    private float[][] encodeImages(List<CaptionRecord> gallery, INDArray textFeatures, SpilledFeatures features,
            EvalProgress progress) {
        float[][] similarity = new float[gallery.size()][];
        for (int start = 0; start < gallery.size(); start += settings.batchSize()) {
            List<CaptionRecord> batch = gallery.subList(start, Math.min(gallery.size(), start + settings.batchSize()));
            try (var arena = Arena.open("retrieval-images")) {
                INDArray vision = images.encode(batch);
                features.append(vision);
                Tensor queries = model.imageFeatures(model.imagePass(Tensor.constant(vision)));
                float[][] rows = ImageTextQFormer.imageTextSimilarity(queries, Tensor.constant(textFeatures)).data()
                        .toFloatMatrix();
                System.arraycopy(rows, 0, similarity, start, rows.length);
            }
            progress.update("images", start + batch.size(), gallery.size());
        }
        return similarity;
    }

    /** Image → text: each image's top-k texts re-scored with ITM; the best rank of the image's own captions. */
    private int[] rankTexts(RetrievalGallery gallery, float[][] similarity, Texts texts, SpilledFeatures features,
            EvalProgress progress) {
        int[] ranks = new int[gallery.imageCount()];
        for (int i = 0; i < ranks.length; i++) {
            int[] top = topK(similarity[i]);
            float[] row = new float[gallery.textCount()];
            Arrays.fill(row, OUTSIDE_TOP_K);
            ImageContext image;
            try (var arena = Arena.open("retrieval-image-context")) {
                image = model.qformer.encodeImage(Tensor.constant(features.get(new int[] {i})));
                for (int start = 0; start < top.length; start += PAIRS_PER_PASS) {
                    int[] chunk = Arrays.copyOfRange(top, start, Math.min(top.length, start + PAIRS_PER_PASS));
                    float[] itm = itm(chunk, image.select(new long[chunk.length]), texts);
                    for (int j = 0; j < chunk.length; j++) {
                        row[chunk[j]] = itm[j] + similarity[i][chunk[j]];
                    }
                }
            }
            ranks[i] = RetrievalMetrics.bestRank(row, gallery.textsOfImage()[i]);
            progress.update("image→text re-ranking", i + 1, ranks.length);
            MemoryBudget.collectOccasionally();
        }
        return ranks;
    }

    /** Text → image: each text's top-k images re-scored with ITM; the rank of the text's own image. */
    private int[] rankImages(RetrievalGallery gallery, float[][] similarity, Texts texts, SpilledFeatures features,
            EvalProgress progress) {
        int[] ranks = new int[gallery.textCount()];
        float[] column = new float[gallery.imageCount()];
        for (int t = 0; t < ranks.length; t++) {
            for (int i = 0; i < column.length; i++) {
                column[i] = similarity[i][t];
            }
            int[] top = topK(column);
            float[] row = new float[gallery.imageCount()];
            Arrays.fill(row, OUTSIDE_TOP_K);
            for (int start = 0; start < top.length; start += PAIRS_PER_PASS) {
                int[] chunk = Arrays.copyOfRange(top, start, Math.min(top.length, start + PAIRS_PER_PASS));
                int[] sameText = new int[chunk.length];
                Arrays.fill(sameText, t);
                try (var arena = Arena.open("retrieval-itm")) {
                    ImageContext images = model.qformer.encodeImage(Tensor.constant(features.get(chunk)));
                    float[] itm = itm(sameText, images, texts);
                    for (int j = 0; j < chunk.length; j++) {
                        row[chunk[j]] = itm[j] + column[chunk[j]];
                    }
                }
            }
            ranks[t] = RetrievalMetrics.rank(row, gallery.imageOfText()[t]);
            progress.update("text→image re-ranking", t + 1, ranks.length);
            MemoryBudget.collectOccasionally();
        }
        return ranks;
    }

    /** The ITM "match" logit of texts {@code textRows} with the images of {@code image}, row by row. */
    private float[] itm(int[] textRows, ImageContext image, Texts texts) {
        int length = Arrays.stream(textRows).map(t -> texts.ids().get(t).length).max().orElse(1);
        long[][] ids = new long[textRows.length][length];
        long[][] mask = new long[textRows.length][length];
        for (int j = 0; j < textRows.length; j++) {
            long[] text = texts.ids().get(textRows[j]);
            System.arraycopy(text, 0, ids[j], 0, text.length);
            Arrays.fill(mask[j], 0, text.length, 1L);
        }
        INDArray logits = model.itmLogits(model.jointPass(Nd4j.createFromArray(ids), Nd4j.createFromArray(mask),
                image, MaskStrategy.BIDIRECTIONAL)).data();
        return logits.getColumn(1).castTo(DataType.FLOAT).dup().toFloatVector();
    }

    /** The indices of the k highest values, highest first (ties: lower index first). */
    private int[] topK(float[] values) {
        int k = Math.min(settings.kTest(), values.length);
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -values[i]).thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }
}
