package org.tiaoyu.qformer.lm.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.abstracts.Nd4jWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;

/**
 * A decoding step keeps nothing of the steps before it: what the caller's arena holds after a call (the prompt's
 * work) is the same for 10 and for 100 new tokens, greedy or with beams; each step's logits and temporaries live in
 * an arena rewound at the next step. (Before, every step's logits piled up in the caller's arena: 68 MB a step for
 * 90 rows of a 50k vocabulary.)
 */
class DecodingMemoryTest {

    private static final OptForCausalLm LM = model();

    private static OptForCausalLm model() {
        OptForCausalLm lm = new OptForCausalLm(new OptConfig(500, 16, 2, 32, 2, 512, true, 16, Activation.RELU,
                0.0, 0.0, true, true, false, 1, 2, 499, true), DataType.FLOAT);
        Rng rng = new Rng(11);
        lm.namedParameters().values().forEach(p -> rng.fillNormal(p.data(), 0.0, 0.3));
        lm.freeze();
        return lm;
    }

    /** Bytes the caller's arena holds at the end of a call that generates {@code newTokens} tokens. */
    private static long callerArenaBytes(int newTokens, int beams) {
        INDArray ids = Nd4j.createFromArray(new long[][] {{2, 7, 9}, {2, 3, 4}});
        INDArray mask = Nd4j.ones(DataType.INT64, 2, 3);
        // min_new_tokens keeps EOS away, so that every call runs all its steps.
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(newTokens).minNewTokens(newTokens)
                .numBeams(beams).build();
        try (var noGrad = Grad.off(); var caller = Arena.open("decoding-memory-test")) {
            GenerationOutput out = Generator.generate(LM.startDecoding(ids, LM.embed(ids), mask), config);
            assertEquals(3 + newTokens, out.sequences()[0].length);
            // Past its learned size an arena spills (or pins) allocations instead: count those too.
            Nd4jWorkspace ws = (Nd4jWorkspace) Nd4j.getMemoryManager().getCurrentWorkspace();
            return ws.getPrimaryOffset() + ws.getSpilledSize() + ws.getPinnedSize();
        }
    }

    @Test
    void theCallersArenaDoesNotGrowWithTheNumberOfSteps() {
        for (int beams : new int[] {1, 3}) {
            callerArenaBytes(10, beams);                                      // the arenas learn their size
            long short10 = callerArenaBytes(10, beams);
            long long100 = callerArenaBytes(100, beams);
            assertTrue(short10 > 0, "the prompt's work is in the caller's arena");
            assertEquals(short10, long100, "beams " + beams + ": bytes held after 10 and after 100 steps");
        }
    }
}
