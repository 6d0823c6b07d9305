package org.tiaoyu.qformer.lm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;
import org.tiaoyu.qformer.lm.ImageTokens;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.t5.T5ForConditionalGeneration;

/**
 * Generation with the KV cache against HF's {@code generate} on the OPT and Flan-T5 fixtures, from HF's own projected
 * query outputs: greedy sequences exactly (left-padded row included) and each step's logits within 1e-4 of their
 * magnitude; 3-beam sequences exactly and their {@code sequences_scores} within 1e-4; OPT without a text prompt.
 */
class GenerationParityTest {

    private static final GenerationConfig GREEDY = GenerationConfig.builder().maxNewTokens(8).outputLogits(true).build();
    private static final GenerationConfig BEAM3 = GenerationConfig.builder().maxNewTokens(8).numBeams(3).build();

    @Test
    void optMatchesHuggingFace() {
        Path dir = Fixtures.path("hf/public");
        OptForCausalLm lm = OptForCausalLm.load(dir.resolve("model"));
        long image = Blip2Config.read(dir.resolve("model")).imageTokenIndex().orElseThrow();
        try (var in = SafetensorsFile.open(dir.resolve("inputs.safetensors"));
                var ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            INDArray ids = in.load("input_ids");
            INDArray mask = in.load("attention_mask");
            Tensor projected = Tensor.constant(ref.load("language_projection_output", DataType.FLOAT));
            Tensor embeds = ImageTokens.scatter(lm.embed(ids), projected, ids, image);

            assertGreedyAndBeams(ref, () -> lm.startDecoding(ids, embeds, mask));

            // Without a text prompt, HF builds [image]*Q + [bos].
            long bos = lm.config.bosTokenId();
            INDArray bare = Nd4j.createFromArray(new long[][] {
                {image, image, image, image, bos}, {image, image, image, image, bos}});
            GenerationOutput noPrompt = Generator.generate(lm.startDecoding(bare,
                    ImageTokens.scatter(lm.embed(bare), projected, bare, image), Nd4j.ones(DataType.INT64, 2, 5)),
                    GREEDY);
            assertSequences(ref.load("generate_noprompt_greedy_sequences"), noPrompt.sequences());
        }
    }

    @Test
    void t5MatchesHuggingFace() {
        Path dir = Fixtures.path("hf/public_t5");
        T5ForConditionalGeneration lm = T5ForConditionalGeneration.load(dir.resolve("model"));
        long image = Blip2Config.read(dir.resolve("model")).imageTokenIndex().orElseThrow();
        try (var in = SafetensorsFile.open(dir.resolve("inputs.safetensors"));
                var ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            INDArray ids = in.load("input_ids");
            INDArray mask = in.load("attention_mask");
            Tensor projected = Tensor.constant(ref.load("language_projection_output", DataType.FLOAT));
            Tensor embeds = ImageTokens.scatter(lm.embed(ids), projected, ids, image);

            assertGreedyAndBeams(ref, () -> lm.startDecoding(embeds, mask));
        }
    }

    private static void assertGreedyAndBeams(SafetensorsFile ref, Supplier<DecodingSession> session) {
        GenerationOutput greedy = Generator.generate(session.get(), GREEDY);
        assertSequences(ref.load("generate_greedy_sequences"), greedy.sequences());
        assertStepLogits(ref.load("generate_greedy_step_logits", DataType.DOUBLE), greedy);

        GenerationOutput beam = Generator.generate(session.get(), BEAM3);
        assertSequences(ref.load("generate_beam3_sequences"), beam.sequences());
        assertScores(ref.load("generate_beam3_sequences_scores", DataType.DOUBLE), beam.sequencesScores());
    }

    private static void assertSequences(INDArray expected, long[][] actual) {
        assertEquals(expected.size(0), actual.length);
        for (int i = 0; i < actual.length; i++) {
            assertArrayEquals(expected.getRow(i).dup().toLongVector(), actual[i], "row " + i);
        }
    }

    private static void assertStepLogits(INDArray expected, GenerationOutput out) {           // [steps, B, V]
        assertEquals(expected.size(0), out.stepLogits().size());
        for (int s = 0; s < out.stepLogits().size(); s++) {
            INDArray e = expected.get(NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.all());
            double diff = e.sub(out.stepLogits().get(s).castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-4 * Math.max(1, e.amaxNumber().doubleValue()), "step " + s + ": " + diff);
        }
    }

    private static void assertScores(INDArray expected, double[] actual) {
        assertEquals(expected.length(), actual.length);
        for (int i = 0; i < actual.length; i++) {
            assertEquals(expected.getDouble(i), actual[i], 1e-4, "sequence " + i);
        }
    }
}
