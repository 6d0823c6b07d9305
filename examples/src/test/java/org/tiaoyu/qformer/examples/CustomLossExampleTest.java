package org.tiaoyu.qformer.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A custom term trains with the built-in losses: with it, the penalty it measures falls; without it, it does not. */
class CustomLossExampleTest {

    @Test
    void theCustomTermShapesTraining() {
        var with = CustomLossExample.train(1.0, 25, 0.05, 7);
        var without = CustomLossExample.train(0.0, 25, 0.05, 7);
        double start = with.diversity().get(0);
        double endWith = with.diversity().get(24);
        double endWithout = without.diversity().get(24);
        assertTrue(endWith < 0.5 * start, "the penalty falls when trained on: " + start + " -> " + endWith);
        assertTrue(endWith < 0.5 * endWithout, "and ends well below a run without it: " + endWith + " vs "
                + endWithout);
        assertTrue(with.totals().get(24) < with.totals().get(0), "the whole loss falls too");
    }
}
