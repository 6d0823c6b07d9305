package org.tiaoyu.qformer.vision;

import java.nio.file.Path;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.core.qformer.MaskStrategy;

/**
 * HF's {@code Blip2ForImageTextRetrieval}: the frozen vision tower and the image–text Q-Former. ITM scores image i
 * with text i; ITC scores every image against every text by the best query's cosine similarity (no temperature).
 * Runs without gradients.
 */
public final class Blip2ImageTextRetrieval {

    /**
     * @param itmLogits       [B, 2] ITM logits (index 1: "match") of image i with text i
     * @param itcPerImage     [B_image, B_text] max over queries of the cosine similarity
     * @param imageEmbeds     [B, Q, E] L2-normalised query embeddings
     * @param textEmbeds      [B, E] L2-normalised [CLS] embeddings
     */
    public record Scores(INDArray itmLogits, INDArray itcPerImage, INDArray imageEmbeds, INDArray textEmbeds) {
        /** [B_text, B_image]. */
        public INDArray itcPerText() {
            return itcPerImage.transpose().dup('c');
        }
    }

    public final Blip2VisionTower vision;
    public final ImageTextQFormer qformer;

    public Blip2ImageTextRetrieval(Blip2VisionTower vision, ImageTextQFormer qformer) {
        this.vision = vision;
        this.qformer = qformer;
    }

    /** Loads a {@code Blip2ForImageTextRetrieval} directory (float32). */
    public static Blip2ImageTextRetrieval load(Path modelDir) {
        return new Blip2ImageTextRetrieval(Blip2VisionTower.load(modelDir), ImageTextQFormer.load(modelDir));
    }

    /**
     * @param pixelValues   [B, 3, S, S], normalised as the model's processor does
     * @param inputIds      [B, T] Q-Former (BERT) token ids
     * @param attentionMask [B, T] 1 for real tokens
     */
    public Scores score(INDArray pixelValues, INDArray inputIds, INDArray attentionMask) {
        try (var noGrad = Grad.off()) {
            Tensor image = vision.encode(Tensor.constant(pixelValues)).lastHiddenState();
            Tensor itm = qformer.itmLogits(qformer.jointPass(inputIds, attentionMask, image,
                    MaskStrategy.BIDIRECTIONAL));
            Tensor imageFeats = qformer.imageFeatures(qformer.imagePass(image));           // [B, Q, E]
            Tensor textFeat = qformer.textFeature(qformer.textPass(inputIds, attentionMask)); // [B, E]
            Tensor similarity = ImageTextQFormer.imageTextSimilarity(imageFeats, textFeat);
            return new Scores(itm.data(), similarity.data(), imageFeats.data(), textFeat.data());
        }
    }
}
