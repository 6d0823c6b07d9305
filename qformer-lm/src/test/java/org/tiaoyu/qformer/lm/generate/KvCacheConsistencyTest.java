package org.tiaoyu.qformer.lm.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.config.T5Config;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.t5.T5ForConditionalGeneration;

/**
 * Long generations with the growing KV cache (past its first two reallocations) give, at every step, the logits a
 * full forward pass over the whole sequence gives without any cache; left padding included for OPT.
 */
class KvCacheConsistencyTest {

    private static final int NEW_TOKENS = 140;

    private static <M extends Module> M random(M m, long seed) {
        Rng rng = new Rng(seed);
        m.namedParameters().values().forEach(p -> rng.fillNormal(p.data(), 0.0, 0.3));
        m.freeze();
        return m;
    }

    @Test
    void optStepsEqualFullPasses() {
        OptForCausalLm lm = random(new OptForCausalLm(new OptConfig(40, 16, 2, 32, 2, 512, true, 16, Activation.RELU,
                0.0, 0.0, true, true, false, 1, 2, 39, true), DataType.DOUBLE), 5);
        INDArray ids = Nd4j.createFromArray(new long[][] {{1, 1, 2, 7, 9}, {2, 3, 4, 5, 6}});
        INDArray mask = Nd4j.createFromArray(new long[][] {{0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}});
        GenerationOutput out = Generator.generate(lm.startDecoding(ids, lm.embed(ids), mask),
                GenerationConfig.builder().maxNewTokens(NEW_TOKENS).outputLogits(true).build());
        long[][] sequences = out.sequences();
        for (int step : new int[] {0, 1, 60, 70, 130, NEW_TOKENS - 1}) {
            int length = 5 + step;
            INDArray prefix = Nd4j.createFromArray(sequences).get(NDArrayIndex.all(), NDArrayIndex.interval(0, length))
                    .dup();
            INDArray prefixMask = step == 0 ? mask : Nd4j.concat(1, mask, Nd4j.ones(DataType.INT64, 2, step));
            try (var noGrad = Grad.off()) {
                Tensor h = lm.forward(lm.embed(prefix), prefixMask).lastHiddenState();
                INDArray full = lm.logits(h.slice(1, length - 1, length)).data().reshape(2, -1);
                assertClose(full, out.stepLogits().get(step), step);
            }
        }
    }

    @Test
    void t5StepsEqualFullPasses() {
        T5ForConditionalGeneration lm = random(new T5ForConditionalGeneration(new T5Config(40, 16, 8, 32, 2, 2, 2, 8,
                20, 0.0, 1e-6, T5Config.FeedForwardProj.parse("gated-gelu"), false, false, 0, 39, 0),
                DataType.DOUBLE), 6);
        INDArray ids = Nd4j.createFromArray(new long[][] {{5, 6, 7, 1}, {8, 9, 1, 0}});
        INDArray mask = Nd4j.createFromArray(new long[][] {{1, 1, 1, 1}, {1, 1, 1, 0}});
        GenerationOutput out = Generator.generate(lm.startDecoding(lm.embed(ids), mask),
                GenerationConfig.builder().maxNewTokens(NEW_TOKENS).outputLogits(true).build());
        long[][] sequences = out.sequences();
        for (int step : new int[] {0, 1, 60, 70, 130, NEW_TOKENS - 1}) {
            int length = 1 + step;
            INDArray decoderIds = Nd4j.createFromArray(sequences)
                    .get(NDArrayIndex.all(), NDArrayIndex.interval(0, length)).dup();
            try (var noGrad = Grad.off()) {
                Tensor logits = lm.logits(decoderIds, lm.encode(lm.embed(ids), mask), mask);
                INDArray full = logits.slice(1, length - 1, length).data().reshape(2, -1);
                assertClose(full, out.stepLogits().get(step), step);
            }
        }
    }

    private static void assertClose(INDArray full, INDArray cached, int step) {
        assertEquals(0.0, full.sub(cached.castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-9, "step " + step);
    }
}
