package org.tiaoyu.qformer.pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.vision.Blip2ImageTextRetrieval;
import org.tiaoyu.qformer.vision.image.ImageInput;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * Scores an image against texts with a {@code Blip2ForImageTextRetrieval} directory as the hub ships it (weights,
 * BERT tokenizer, processor): the ITM probability of "match" and the ITC score (best query's cosine similarity), as
 * HF's model gives them for the processor's inputs. Close to free the tokenizer.
 */
public final class Blip2Matcher implements AutoCloseable {

    /** One text's scores. */
    public record Match(String text, double itmProbability, double itcScore) {}

    private final ImageProcessor processor;
    private final Blip2ImageTextRetrieval model;
    private final HfTokenizer tokenizer;

    private Blip2Matcher(Path modelDir) {
        this.processor = ImageProcessor.fromModelDir(modelDir);
        this.model = Blip2ImageTextRetrieval.load(modelDir);
        this.tokenizer = HfTokenizer.load(modelDir);
    }

    public static Blip2Matcher load(Path modelDir) {
        return new Blip2Matcher(modelDir);
    }

    /** The scores of an image file with each text, in order. */
    public List<Match> match(Path image, List<String> texts) {
        return match(ImageInput.of(image), texts);
    }

    /** The scores of {@code image} (a file or a picture in memory) with each text, in order. */
    public List<Match> match(ImageInput image, List<String> texts) {
        EncodedBatch encoded = tokenizer.encodeBatch(texts, PaddingSide.RIGHT);
        try (var arena = Arena.open("match")) {
            INDArray pixels = processor.process(List.of(image)).repeat(0, texts.size()); // decoded once
            Blip2ImageTextRetrieval.Scores scores = model.score(pixels, encoded.inputIdsArray(),
                    encoded.attentionMaskArray());
            List<Match> out = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                double no = scores.itmLogits().getDouble(i, 0);
                double yes = scores.itmLogits().getDouble(i, 1);
                double probability = 1.0 / (1.0 + Math.exp(no - yes));           // softmax over the two logits
                out.add(new Match(texts.get(i), probability, scores.itcPerImage().getDouble(0, i)));
            }
            return out;
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
