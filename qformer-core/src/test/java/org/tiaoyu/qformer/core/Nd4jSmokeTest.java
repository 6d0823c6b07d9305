package org.tiaoyu.qformer.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class Nd4jSmokeTest {
    @Test
    void gemm() {
        var a = Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}});
        var c = Nd4j.create(a.dataType(), 2, 2);
        Nd4j.gemm(a, a, c, false, true, 1.0, 0.0);
        assertEquals(5f, c.getFloat(0, 0));
    }
}
