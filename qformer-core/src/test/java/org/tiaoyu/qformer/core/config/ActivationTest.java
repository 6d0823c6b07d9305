package org.tiaoyu.qformer.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ActivationTest {

    @Test
    void hfNamesRoundTrip() {
        for (Activation a : Activation.values()) {
            assertEquals(a, Activation.fromHfName(a.hfName()));
        }
    }

    @Test
    void unknownNameListsTheSupportedOnes() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Activation.fromHfName("gelu_fast"));
        assertEquals("unsupported activation \"gelu_fast\" (supported: gelu, gelu_new, quick_gelu, relu, silu)",
                e.getMessage());
    }
}
