package org.tiaoyu.qformer.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;
import org.tiaoyu.qformer.lm.t5.T5ForConditionalGeneration;
import org.tiaoyu.qformer.lm.t5.T5GreedyDecoder;

/**
 * Greedy T5 decoding with the KV cache reproduces HF's {@code generate_greedy_sequences} of the Flan-T5 fixture
 * exactly and each step's logits within 1e-4 of their magnitude, from HF's own projected query outputs.
 */
class T5GreedyDecoderTest {

    @Test
    void matchesHuggingFaceGreedyGeneration() {
        Path dir = Fixtures.path("hf/public_t5");
        Blip2Config config = Blip2Config.read(dir.resolve("model"));
        T5ForConditionalGeneration lm = T5ForConditionalGeneration.load(dir.resolve("model"));
        try (var in = SafetensorsFile.open(dir.resolve("inputs.safetensors"));
                var ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            INDArray ids = in.load("input_ids");
            INDArray mask = in.load("attention_mask");
            Tensor projected = Tensor.constant(ref.load("language_projection_output", DataType.FLOAT));
            Tensor embeds = ImageTokens.scatter(lm.embed(ids), projected, ids, config.imageTokenIndex().orElseThrow());
            T5GreedyDecoder.Result r = new T5GreedyDecoder(lm).generate(embeds, mask, 8);

            INDArray expected = ref.load("generate_greedy_sequences");
            assertEquals(expected.size(1), r.sequences()[0].length);
            for (int i = 0; i < r.sequences().length; i++) {
                assertArrayEquals(expected.getRow(i).dup().toLongVector(), r.sequences()[i], "row " + i);
            }
            INDArray stepLogits = ref.load("generate_greedy_step_logits", DataType.DOUBLE);
            assertEquals(stepLogits.size(0), r.stepLogits().size());
            for (int s = 0; s < r.stepLogits().size(); s++) {
                INDArray e = stepLogits.get(NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.all());
                double diff = e.sub(r.stepLogits().get(s).castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
                assertTrue(diff <= 1e-4 * Math.max(1, e.amaxNumber().doubleValue()),
                        "step " + s + ": max |difference| " + diff);
            }
        }
    }
}
