package org.tiaoyu.qformer.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.config.T5Config.FeedForwardProj;

class T5ConfigTest {

    @Test
    void feedForwardProjIsSplitAsHfDoes() {
        assertEquals(new FeedForwardProj(false, Activation.RELU), FeedForwardProj.parse("relu"));
        assertEquals(new FeedForwardProj(false, Activation.GELU), FeedForwardProj.parse("gelu"));
        assertEquals(new FeedForwardProj(true, Activation.GELU_NEW), FeedForwardProj.parse("gated-gelu"));
        assertEquals(new FeedForwardProj(true, Activation.SILU), FeedForwardProj.parse("gated-silu"));
    }

    @Test
    void badFeedForwardProjIsRejected() {
        for (String bad : new String[] {"gated-gelu-x", "dense-gelu", "gated-", "gelu_fast"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> FeedForwardProj.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad) || e.getMessage().contains("unsupported activation"),
                    e.getMessage());
        }
    }

    @Test
    void tokenIdsMustBeInTheVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new T5Config(100, 48, 12, 64, 2, 2, 4, 8, 16, 0.0, 1e-6, FeedForwardProj.parse("relu"), true,
                        true, 0, 100, 0));
        assertEquals("eos_token_id 100 is outside the vocabulary [0, 100)", e.getMessage());
    }
}
