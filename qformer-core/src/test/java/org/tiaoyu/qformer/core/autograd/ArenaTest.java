package org.tiaoyu.qformer.core.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ArenaTest {

    private static Tensor stageOf(INDArray input) {
        return Arena.stage("test-stage", () -> Tensor.constant(input).mul(Tensor.constant(input)));
    }

    /** A stage's result survives the rewinding of its arena, in its own type, inside another arena or none. */
    @Test
    void aStageKeepsItsResultInTheEnclosingArenaInItsOwnType() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray input = Nd4j.linspace(type, 1, 6, 6).reshape(2, 3);
            INDArray expected = input.mul(input);
            try (var noGrad = Grad.off()) {
                INDArray outside = stageOf(input).data();
                assertFalse(outside.isAttached());
                assertEquals(expected, outside, type + " outside every arena");
                try (var outer = Arena.open("test-outer")) {
                    INDArray first = stageOf(input).data();
                    stageOf(input.add(1));                                   // rewinds the stage's arena
                    assertTrue(first.isAttached());
                    assertEquals(type, first.dataType());
                    assertEquals(expected, first, type + " inside an arena");
                }
            }
        }
    }
}
