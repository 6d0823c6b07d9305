package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VqaPercentTest {

    /** {x, round(x, 2)} as Python 3.11 computes them. */
    private static final double[][] PYTHON_ROUND = {
        {0.125, 0.12}, {0.375, 0.38}, {2.675, 2.67}, {1.005, 1.0}, {99.995, 100.0}, {0.005, 0.01}, {0.015, 0.01},
        {0.025, 0.03}, {12.345, 12.35}, {78.75000000000001, 78.75}, {59.999999999999986, 60.0},
        {73.33333333333334, 73.33}, {63.333333333333336, 63.33}, {78.57142857142857, 78.57}, {100.0, 100.0},
        {0.0, 0.0}, {-0.005, -0.01}, {-0.001, -0.0},
    };

    @Test
    void roundsAsPython3RoundsToTwoDecimals() {
        for (double[] c : PYTHON_ROUND) {
            VqaPercent p = VqaPercent.of(c[0]);
            assertEquals(c[0], p.unrounded());
            // assertEquals on doubles tells -0.0 from 0.0, as Python's round does.
            assertEquals(c[1], p.rounded(), "round(" + c[0] + ", 2)");
        }
    }
}
