package org.tiaoyu.qformer.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.opt.OptGreedyDecoder;

/**
 * Greedy decoding with the KV cache reproduces HF's {@code generate_greedy_sequences} of the OPT fixture exactly
 * (left-padded row included) and every step's logits within 1e-4 of their magnitude, from HF's own projected query
 * outputs.
 */
class OptGreedyDecoderTest {

    @Test
    void matchesHuggingFaceGreedyGeneration() {
        Path dir = Fixtures.path("hf/public");
        Blip2Config config = Blip2Config.read(dir.resolve("model"));
        OptConfig opt = (OptConfig) config.text();
        OptForCausalLm lm = OptForCausalLm.load(dir.resolve("model"));
        try (var in = SafetensorsFile.open(dir.resolve("inputs.safetensors"));
                var ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            INDArray ids = in.load("input_ids");
            INDArray mask = in.load("attention_mask");
            Tensor projected = Tensor.constant(ref.load("language_projection_output", DataType.FLOAT));
            Tensor embeds = ImageTokens.scatter(lm.embed(ids), projected, ids, config.imageTokenIndex().orElseThrow());
            OptGreedyDecoder.Result r = new OptGreedyDecoder(lm).generate(embeds, mask, 8, opt.eosTokenId(),
                    opt.padTokenId());

            INDArray expected = ref.load("generate_greedy_sequences");
            long[][] sequences = r.sequences(ids);
            assertEquals(expected.size(1), sequences[0].length);
            for (int i = 0; i < sequences.length; i++) {
                assertArrayEquals(expected.getRow(i).dup().toLongVector(), sequences[i], "row " + i);
            }
            INDArray stepLogits = ref.load("generate_greedy_step_logits", DataType.DOUBLE); // [steps, B, V]
            assertEquals(stepLogits.size(0), r.stepLogits().size());
            for (int s = 0; s < r.stepLogits().size(); s++) {
                INDArray e = stepLogits.get(NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.all());
                double diff = e.sub(r.stepLogits().get(s).castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
                double scale = Math.max(1, e.amaxNumber().doubleValue());
                assertTrue(diff <= 1e-4 * scale, "step " + s + ": max |difference| " + diff);
            }

            // Without a text prompt, HF builds [image]*Q + [bos].
            long image = config.imageTokenIndex().orElseThrow();
            INDArray bare = Nd4j.createFromArray(new long[][] {
                {image, image, image, image, opt.bosTokenId()}, {image, image, image, image, opt.bosTokenId()}});
            INDArray bareMask = Nd4j.ones(DataType.INT64, 2, 5);
            OptGreedyDecoder.Result noPrompt = new OptGreedyDecoder(lm).generate(
                    ImageTokens.scatter(lm.embed(bare), projected, bare, image), bareMask, 8, opt.eosTokenId(),
                    opt.padTokenId());
            INDArray expectedBare = ref.load("generate_noprompt_greedy_sequences");
            long[][] bareSequences = noPrompt.sequences(bare);
            for (int i = 0; i < bareSequences.length; i++) {
                assertArrayEquals(expectedBare.getRow(i).dup().toLongVector(), bareSequences[i], "no prompt, row " + i);
            }
        }
    }
}
