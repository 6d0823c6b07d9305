package org.tiaoyu.qformer.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;

class ModuleTest {

    /** A miniature of BERT's self-output block, to check the dotted names. */
    static final class SelfOutput extends Module {
        final Linear dense = child("dense", new Linear(4, 4, true, DataType.DOUBLE));
        final LayerNorm layerNorm = child("LayerNorm", new LayerNorm(4, 1e-12, DataType.DOUBLE));
        final Dropout dropout = child("dropout", new Dropout(0.5));

        Tensor forward(Tensor h, Tensor input) {
            return layerNorm.forward(dropout.forward(dense.forward(h)).add(input));
        }
    }

    static final class Layer extends Module {
        final SelfOutput output = child("output", new SelfOutput());
    }

    static final class Encoder extends Module {
        final Layer first = child("0", new Layer());
        final Layer second = child("1", new Layer());
    }

    @Test
    void parameterPathsAreTheCheckpointKeys() {
        var encoder = new Encoder();
        assertEquals(List.of("0.output.dense.weight", "0.output.dense.bias", "0.output.LayerNorm.weight",
                "0.output.LayerNorm.bias", "1.output.dense.weight", "1.output.dense.bias",
                "1.output.LayerNorm.weight", "1.output.LayerNorm.bias"),
                List.copyOf(encoder.namedParameters().keySet()));
        assertEquals(2 * (16 + 4 + 4 + 4), encoder.parameterCount());
    }

    @Test
    void frozenBlockGetsNoGradientButTheRestDoes() {
        var encoder = new Encoder();
        encoder.first.freeze();
        var x = Tensor.constant(Nd4j.rand(DataType.DOUBLE, 2, 4));
        Tensor h = encoder.first.output.forward(x, x);
        Ops.sum(encoder.second.output.forward(h, h), false).backward();
        assertNull(encoder.first.output.dense.weight.grad());
        assertNotNull(encoder.second.output.dense.weight.grad());
        assertEquals(4, encoder.trainableParameters().size());
    }

    @Test
    void dropoutOnlyInTrainingMode() {
        var block = new SelfOutput();
        var x = Tensor.constant(Nd4j.rand(DataType.DOUBLE, 8, 4));
        block.dense.weight.data().assign(Nd4j.eye(4));
        assertFalse(block.isTraining(), "modules start in eval mode");
        var eval1 = block.forward(x, x).data();
        assertEquals(eval1, block.forward(x, x).data());
        block.train(new Rng(1));
        assertTrue(block.dropout.isTraining());
        assertNotEquals(eval1, block.forward(x, x).data());
        block.eval();
        assertEquals(eval1, block.forward(x, x).data());
    }

    @Test
    void duplicateNamesAreRejected() {
        assertThrows(IllegalStateException.class, () -> new Module() {
            {
                parameter("weight", Nd4j.zeros(1));
                parameter("weight", Nd4j.zeros(1));
            }
        });
    }
}
