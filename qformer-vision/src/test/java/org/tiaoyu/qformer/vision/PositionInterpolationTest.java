package org.tiaoyu.qformer.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.GradCheck;
import org.tiaoyu.qformer.core.autograd.Tensor;

class PositionInterpolationTest {

    @Test
    void matchesPyTorchsBicubicUpsampling() {
        // torch.nn.Upsample(scale_factor=2, mode="bicubic", align_corners=False) on [[1, 2], [3, 4]], as printed
        // in the nn.Upsample documentation.
        double[][] expected = {
            {0.6836, 1.0156, 1.5625, 1.8945},
            {1.3477, 1.6797, 2.2266, 2.5586},
            {2.4414, 2.7734, 3.3203, 3.6523},
            {3.1055, 3.4375, 3.9844, 4.3164}};
        Tensor positions = Tensor.constant(Nd4j.createFromArray(new double[][] {{9}, {1}, {2}, {3}, {4}}));
        INDArray out = PositionInterpolation.resize(positions, 4, 4).data().reshape(17);
        assertEquals(9.0, out.getDouble(0), 0.0, "the class token's position is kept");
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(expected[y][x], out.getDouble(1 + y * 4 + x), 5e-5, "(" + y + ", " + x + ")");
            }
        }
    }

    @Test
    void eachOutputIsAnAffineCombination() {
        for (double[] row : PositionInterpolation.matrix(16, 26)) {
            double sum = 0;
            for (double w : row) {
                sum += w;
            }
            assertEquals(1.0, sum, 1e-12);
        }
    }

    @Test
    void gradientsReachThePositionEmbeddings() {
        GradCheck.check(t -> PositionInterpolation.resize(t[0], 3, 2), GradCheck.randomVariable(1, 1, 5, 3));
    }

    @Test
    void aTowerTakesAnotherImageSize() {
        Blip2VisionTower tower = Blip2VisionTower.load(Fixtures.path("hf/public/model"));
        INDArray pixels = Nd4j.rand(DataType.FLOAT, 2, 3, 40, 48);
        VisionOutput out = tower.encode(Tensor.constant(pixels));
        assertArrayEquals(new long[] {2, 5 * 6 + 1, 32}, out.lastHiddenState().shape());
        // Resizing to the model's own grid is the identity.
        INDArray viaResize = PositionInterpolation.resize(tower.embeddings.positionEmbedding, 4, 4).data();
        assertEquals(0.0, viaResize.sub(tower.embeddings.positionEmbedding.data()).amaxNumber().doubleValue(), 1e-6);
    }
}
