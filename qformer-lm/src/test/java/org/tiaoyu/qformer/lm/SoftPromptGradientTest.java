package org.tiaoyu.qformer.lm;

import static org.junit.jupiter.api.Assertions.assertNull;

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
 * Stage 2 trains a soft prompt through a frozen language model: the gradient of the logits with respect to the
 * prompt embeddings, through every OPT and T5 layer (left padding, {@code project_in}/{@code project_out}, relative
 * position bias, gated-GELU), equals finite differences in double precision, and the frozen weights get none.
 */
class SoftPromptGradientTest {

    private static void randomize(Module m, long seed) {
        Rng rng = new Rng(seed);
        m.namedParameters().values().forEach(p -> rng.fillNormal(p.data(), 0.0, 0.5));
        m.freeze();
    }

    private static void assertFrozen(Module m) {
        m.namedParameters().forEach((name, p) -> assertNull(p.grad(), name + " is frozen"));
    }

    @Test
    void throughFrozenOpt() {
        // word_embed_proj_dim 6 ≠ hidden 8: project_in / project_out are on the path.
        OptConfig c = new OptConfig(11, 8, 2, 12, 2, 32, true, 6, Activation.RELU, 0.0, 0.0, true, true, false,
                1, 2, 2, true);
        OptForCausalLm lm = new OptForCausalLm(c, DataType.DOUBLE);
        randomize(lm, 1);
        INDArray text = Nd4j.createFromArray(new long[][] {{1, 2, 5, 7}, {2, 3, 4, 9}});     // row 0: a pad inside
        INDArray mask = Nd4j.createFromArray(new long[][] {{1, 1, 1, 0, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}});
        Tensor prompt = GradCheck.randomVariable(3, 2, 3, 6);                         // [B, Q, word_embed_proj_dim]
        GradCheck.check(in -> {
            Tensor embeds = Ops.concat(1, in[0], lm.embed(text));
            return lm.logits(lm.forward(embeds, mask).lastHiddenState());
        }, prompt);
        assertFrozen(lm);
    }

    @Test
    void throughFrozenT5() {
        T5Config c = new T5Config(13, 8, 4, 12, 2, 2, 2, 8, 16, 0.0, 1e-6, T5Config.FeedForwardProj.parse("gated-gelu"),
                false, false, 0, 1, 0);
        T5ForConditionalGeneration lm = new T5ForConditionalGeneration(c, DataType.DOUBLE);
        randomize(lm, 2);
        INDArray text = Nd4j.createFromArray(new long[][] {{4, 5, 1, 0}, {6, 7, 8, 1}});     // row 0 right-padded
        INDArray mask = Nd4j.createFromArray(new long[][] {{1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1, 1}});
        INDArray decoderIds = Nd4j.createFromArray(new long[][] {{0, 9, 3}, {0, 2, 2}});
        Tensor prompt = GradCheck.randomVariable(4, 2, 3, 8);
        GradCheck.check(in -> {
            Tensor embeds = Ops.concat(1, in[0], lm.embed(text));
            return lm.logits(decoderIds, lm.encode(embeds, mask), mask);
        }, prompt);
        assertFrozen(lm);
    }
}
