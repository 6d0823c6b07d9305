package org.tiaoyu.qformer.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.GradCheck;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.config.T5Config;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.t5.T5ForConditionalGeneration;

/**
 * A frozen language model in training mode applies its own dropout (LAVIS trains stage 2 so): the output changes
 * with the random source and repeats with it, eval mode is untouched, and the soft prompt's gradient through the
 * dropped-out model equals finite differences when the masks are held fixed.
 */
class LanguageModelDropoutTest {

    private static final INDArray OPT_TEXT = Nd4j.createFromArray(new long[][] {{1, 2, 5, 7}, {2, 3, 4, 9}});
    private static final INDArray OPT_MASK = Nd4j.createFromArray(new long[][] {{1, 1, 1, 1, 1, 1, 1},
            {1, 1, 1, 1, 1, 1, 0}});

    private static void randomize(Module m, long seed) {
        Rng rng = new Rng(seed);
        m.namedParameters().values().forEach(p -> rng.fillNormal(p.data(), 0.0, 0.5));
        m.freeze();
    }

    private static OptForCausalLm opt() {
        OptConfig c = new OptConfig(11, 8, 2, 12, 2, 32, true, 6, Activation.RELU, 0.3, 0.2, true, true, false,
                1, 2, 2, true);
        OptForCausalLm lm = new OptForCausalLm(c, DataType.DOUBLE);
        randomize(lm, 1);
        return lm;
    }

    private static T5ForConditionalGeneration t5() {
        T5Config c = new T5Config(13, 8, 4, 12, 2, 2, 2, 8, 16, 0.3, 1e-6, T5Config.FeedForwardProj.parse("gated-gelu"),
                false, false, 0, 1, 0);
        T5ForConditionalGeneration lm = new T5ForConditionalGeneration(c, DataType.DOUBLE);
        randomize(lm, 2);
        return lm;
    }

    private static Tensor optLogits(OptForCausalLm lm, Tensor prompt) {
        return lm.logits(lm.forward(Ops.concat(1, prompt, lm.embed(OPT_TEXT)), OPT_MASK).lastHiddenState());
    }

    private static Tensor t5Logits(T5ForConditionalGeneration lm, Tensor prompt) {
        INDArray text = Nd4j.createFromArray(new long[][] {{4, 5, 1, 0}, {6, 7, 8, 1}});
        INDArray mask = Nd4j.createFromArray(new long[][] {{1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1, 1}});
        INDArray decoderIds = Nd4j.createFromArray(new long[][] {{0, 9, 3}, {0, 2, 2}});
        return lm.logits(decoderIds, lm.encode(Ops.concat(1, prompt, lm.embed(text)), mask), mask);
    }

    private static void assertDropoutBehaviour(Module lm, Supplier<Tensor> logits) {
        INDArray inEval = logits.get().data().dup();
        lm.train(new Rng(7));
        INDArray first = logits.get().data().dup();
        lm.train(new Rng(7));
        assertEquals(first, logits.get().data(), "the same random source drops the same units");
        lm.train(new Rng(8));
        assertNotEquals(first, logits.get().data(), "another random source drops others");
        assertNotEquals(inEval, first, "training mode applies dropout");
        lm.eval();
        assertEquals(inEval, logits.get().data(), "eval mode has no dropout");
    }

    @Test
    void optDropsOutInTrainingModeOnly() {
        OptForCausalLm lm = opt();
        Tensor prompt = GradCheck.randomVariable(3, 2, 3, 6);
        assertDropoutBehaviour(lm, () -> optLogits(lm, prompt));
    }

    @Test
    void t5DropsOutInTrainingModeOnly() {
        T5ForConditionalGeneration lm = t5();
        Tensor prompt = GradCheck.randomVariable(4, 2, 3, 8);
        assertDropoutBehaviour(lm, () -> t5Logits(lm, prompt));
    }

    @Test
    void softPromptGradientThroughDroppedOutOpt() {
        OptForCausalLm lm = opt();
        GradCheck.check(in -> {
            lm.train(new Rng(11));                                    // the same masks at every evaluation
            return optLogits(lm, in[0]);
        }, GradCheck.randomVariable(3, 2, 3, 6));
    }

    @Test
    void softPromptGradientThroughDroppedOutT5() {
        T5ForConditionalGeneration lm = t5();
        GradCheck.check(in -> {
            lm.train(new Rng(12));
            return t5Logits(lm, in[0]);
        }, GradCheck.randomVariable(4, 2, 3, 8));
    }
}
