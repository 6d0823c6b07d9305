package org.tiaoyu.qformer.core.qformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/**
 * The Q-Former of HF's {@code Blip2ForImageTextRetrieval} fixtures, fed the reference vision output, reproduces HF's
 * ITM logits, ITC logits and both embeddings within 1e-4.
 */
class RetrievalParityTest {

    static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance, what + ": max |difference| " + diff + " > " + tolerance);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf/public", "hf/public_t5"})
    void matchesHuggingFace(String fixture) {
        Path dir = Fixtures.path(fixture);
        var model = ImageTextQFormer.load(dir.resolve("retrieval_model"));
        try (var inputs = SafetensorsFile.open(dir.resolve("retrieval_inputs.safetensors"));
                var reference = SafetensorsFile.open(dir.resolve("retrieval_reference.safetensors"));
                var noGrad = Grad.off()) {
            INDArray ids = inputs.load("input_ids");
            INDArray mask = inputs.load("attention_mask");
            Tensor image = Tensor.constant(reference.load("vision_last_hidden_state", DataType.FLOAT));

            var joint = model.jointPass(ids, mask, image, MaskStrategy.BIDIRECTIONAL);
            assertClose(reference.load("itm_text_embeds"), joint.lastHiddenState().data(), 1e-4, "itm_text_embeds");
            assertClose(reference.load("itm_logits_per_image"), model.itmLogits(joint).data(), 1e-4, "itm logits");

            Tensor imageFeats = model.imageFeatures(model.imagePass(image));          // [B, Q, E]
            Tensor textFeat = model.textFeature(model.textPass(ids, mask));            // [B, E]
            assertClose(reference.load("itc_image_embeds"), imageFeats.data(), 1e-4, "itc_image_embeds");
            assertClose(reference.load("itc_text_embeds"), textFeat.data(), 1e-4, "itc_text_embeds");

            Tensor logitsPerImage = ImageTextQFormer.imageTextSimilarity(imageFeats, textFeat); // [B_image, B_text]
            assertClose(reference.load("itc_logits_per_image"), logitsPerImage.data(), 1e-4, "itc per image");
            assertClose(reference.load("itc_logits_per_text"), logitsPerImage.data().transpose(), 1e-4,
                    "itc per text");
        }
    }
}
