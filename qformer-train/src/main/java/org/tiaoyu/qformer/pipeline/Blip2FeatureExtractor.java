package org.tiaoyu.qformer.pipeline;

import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.core.qformer.MaskStrategy;
import org.tiaoyu.qformer.core.qformer.QFormerModel;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.vision.Blip2ImageTextRetrieval;
import org.tiaoyu.qformer.vision.image.ImageInput;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * Image, text and multimodal features of a {@code Blip2ForImageTextRetrieval} directory (weights, BERT tokenizer,
 * processor), as LAVIS's {@code Blip2Qformer.extract_features} gives them. The arrays are the caller's (outside every
 * arena). Close to free the tokenizer.
 *
 * <pre>{@code
 * try (Blip2FeatureExtractor blip2 = Blip2FeatureExtractor.load(Path.of("blip2-itm-vit-g"))) {
 *     var images = blip2.image(List.of(ImageInput.of(Path.of("cat.jpg"))));
 *     var texts = blip2.text(List.of("a cat", "a dog"));
 *     INDArray similarity = Blip2FeatureExtractor.similarity(images, texts);   // [1, 2]
 * }
 * }</pre>
 */
public final class Blip2FeatureExtractor implements AutoCloseable {

    /**
     * @param queryOutputs the Q-Former's query outputs [N, Q, D] (LAVIS {@code image_embeds})
     * @param embeds       their L2-normalised {@code vision_projection} [N, Q, E] (LAVIS {@code image_embeds_proj})
     */
    public record ImageFeatures(INDArray queryOutputs, INDArray embeds) {}

    /**
     * @param hiddenStates the text's Q-Former outputs [N, T, D] (LAVIS {@code text_embeds})
     * @param embeds       the L2-normalised {@code text_projection} of [CLS] [N, E] (LAVIS {@code text_embeds_proj})
     */
    public record TextFeatures(INDArray hiddenStates, INDArray embeds) {}

    private final ImageProcessor processor;
    private final Blip2ImageTextRetrieval model;
    private final HfTokenizer tokenizer;

    private Blip2FeatureExtractor(Path modelDir) {
        this.processor = ImageProcessor.fromModelDir(modelDir);
        this.model = Blip2ImageTextRetrieval.load(modelDir);
        this.tokenizer = HfTokenizer.load(modelDir);
    }

    public static Blip2FeatureExtractor load(Path modelDir) {
        return new Blip2FeatureExtractor(modelDir);
    }

    /** Features of images (files or pictures in memory), in one batch. */
    public ImageFeatures image(List<ImageInput> images) {
        return image(processor.process(images));
    }

    /** Features of processed images, {@code pixel_values} [N, 3, S, S]. */
    public ImageFeatures image(INDArray pixelValues) {
        try (var noGrad = Grad.off(); var arena = Arena.open("features")) {
            QFormerModel.Output queries = model.qformer.imagePass(encode(pixelValues));
            return new ImageFeatures(Arena.keep(queries.lastHiddenState().data()),
                    Arena.keep(model.qformer.imageFeatures(queries).data()));
        }
    }

    /** Features of texts, tokenised as the processor does (right padding). */
    public TextFeatures text(List<String> texts) {
        EncodedBatch encoded = tokenizer.encodeBatch(texts, PaddingSide.RIGHT);
        try (var noGrad = Grad.off(); var arena = Arena.open("features")) {
            QFormerModel.Output out = model.qformer.textPass(encoded.inputIdsArray(), encoded.attentionMaskArray());
            return new TextFeatures(Arena.keep(out.lastHiddenState().data()),
                    Arena.keep(model.qformer.textFeature(out).data()));
        }
    }

    /**
     * Multimodal features: the query outputs [N, Q, D] of image i and text i attending to each other (the ITM pass,
     * LAVIS {@code multimodal_embeds}).
     */
    public INDArray multimodal(List<ImageInput> images, List<String> texts) {
        if (images.size() != texts.size()) {
            throw new IllegalArgumentException(images.size() + " images but " + texts.size() + " texts");
        }
        EncodedBatch encoded = tokenizer.encodeBatch(texts, PaddingSide.RIGHT);
        INDArray pixels = processor.process(images);
        try (var noGrad = Grad.off(); var arena = Arena.open("features")) {
            QFormerModel.Output joint = model.qformer.jointPass(encoded.inputIdsArray(),
                    encoded.attentionMaskArray(), encode(pixels), MaskStrategy.BIDIRECTIONAL);
            return Arena.keep(joint.lastHiddenState().slice(1, 0, model.qformer.numQueries()).data().dup());
        }
    }

    /** The ITC similarity [images, texts]: the best query's cosine similarity with each text. */
    public static INDArray similarity(ImageFeatures images, TextFeatures texts) {
        try (var noGrad = Grad.off()) {
            return ImageTextQFormer.imageTextSimilarity(Tensor.constant(images.embeds()),
                    Tensor.constant(texts.embeds())).data();
        }
    }

    private Tensor encode(INDArray pixelValues) {
        return model.vision.encode(Tensor.constant(pixelValues)).lastHiddenState();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
