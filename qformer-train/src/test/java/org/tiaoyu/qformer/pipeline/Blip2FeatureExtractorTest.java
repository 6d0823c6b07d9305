package org.tiaoyu.qformer.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.vision.image.ImageInput;

/**
 * Features from the e2e retrieval directory give back HF's scores for every {@code retrieval_cases} pair: the ITC
 * score is the similarity of the image and text features, and the ITM head over the multimodal features gives the
 * match probability; a picture in memory has the features of its file.
 */
class Blip2FeatureExtractorTest {

    private static final Path E2E = Fixtures.path("e2e");

    @Test
    void featuresReproduceHuggingFaceScores() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(E2E.resolve("e2e_reference.json").toFile())
                .get("retrieval_cases");
        ImageTextQFormer qformer = ImageTextQFormer.load(E2E.resolve("retrieval_model"));
        try (Blip2FeatureExtractor blip2 = Blip2FeatureExtractor.load(E2E.resolve("retrieval_model"))) {
            for (JsonNode c : cases) {
                ImageInput image = ImageInput.of(E2E.resolve("images").resolve(c.get("image").asText()));
                String text = c.get("text").asText();
                var imageFeatures = blip2.image(List.of(image));
                var textFeatures = blip2.text(List.of(text));
                assertEquals(c.get("itc_score").asDouble(),
                        Blip2FeatureExtractor.similarity(imageFeatures, textFeatures).getDouble(0, 0), 1e-3, text);

                INDArray multimodal = blip2.multimodal(List.of(image), List.of(text));          // [1, Q, D]
                assertEquals(qformer.numQueries(), multimodal.size(1));
                try (var noGrad = Grad.off()) {
                    INDArray logits = qformer.itmHead.forward(Tensor.constant(multimodal)).mean(1).data();
                    double probability = 1 / (1 + Math.exp(logits.getDouble(0, 0) - logits.getDouble(0, 1)));
                    assertEquals(c.get("itm_prob_match").asDouble(), probability, 1e-3, text);
                }
            }
        }
    }

    @Test
    void aPictureInMemoryHasTheFeaturesOfItsFile() throws Exception {
        Path file = E2E.resolve("images/rgba_200x300.png");
        try (Blip2FeatureExtractor blip2 = Blip2FeatureExtractor.load(E2E.resolve("retrieval_model"))) {
            var fromFile = blip2.image(List.of(ImageInput.of(file)));
            var fromPicture = blip2.image(List.of(ImageInput.of(ImageIO.read(file.toFile()))));
            assertArrayEquals(fromFile.embeds().shape(), fromPicture.embeds().shape());
            assertEquals(fromFile.embeds(), fromPicture.embeds());
            assertEquals(fromFile.queryOutputs(), fromPicture.queryOutputs());
        }
    }
}
