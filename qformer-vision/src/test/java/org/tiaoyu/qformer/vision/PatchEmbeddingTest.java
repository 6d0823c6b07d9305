package org.tiaoyu.qformer.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.autograd.GradCheck;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;

/** Patches times the flattened weight are the stride-p convolution, and its gradients are right. */
class PatchEmbeddingTest {

    private static PatchEmbedding randomEmbedding(int channels, int hidden, int patch, boolean bias, long seed) {
        PatchEmbedding embedding = new PatchEmbedding(channels, hidden, patch, bias, DataType.DOUBLE);
        new Rng(seed).fillNormal(embedding.weight.data(), 0.0, 1.0);
        if (bias) {
            new Rng(seed + 1).fillNormal(embedding.bias.data(), 0.0, 1.0);
        }
        return embedding;
    }

    @Test
    void equalsTheConvolution() {
        int c = 3, d = 5, p = 2, b = 2, h = 4, w = 6;
        PatchEmbedding embedding = randomEmbedding(c, d, p, true, 1);
        INDArray x = GradCheck.randomVariable(3, b, c, h, w).data();
        INDArray out = embedding.forward(Tensor.constant(x)).data();               // [B, N, D]
        INDArray weight = embedding.weight.data();
        for (int n = 0; n < b; n++) {
            for (int i = 0; i < h / p; i++) {
                for (int j = 0; j < w / p; j++) {
                    for (int o = 0; o < d; o++) {
                        double sum = embedding.bias.data().getDouble(o);
                        for (int ch = 0; ch < c; ch++) {
                            for (int u = 0; u < p; u++) {
                                for (int v = 0; v < p; v++) {
                                    sum += weight.getDouble(o, ch, u, v) * x.getDouble(n, ch, i * p + u, j * p + v);
                                }
                            }
                        }
                        assertEquals(sum, out.getDouble(n, i * (w / p) + j, o), 1e-12);
                    }
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        PatchEmbedding embedding = randomEmbedding(2, 3, 2, true, 5);
        Tensor pixels = GradCheck.randomVariable(7, 2, 2, 4, 4);
        GradCheck.check(in -> embedding.forward(in[0]), pixels, embedding.weight, embedding.bias);
    }

    @Test
    void rejectsWrongShapes() {
        PatchEmbedding embedding = randomEmbedding(3, 4, 2, false, 9);
        assertThrows(IllegalArgumentException.class,
                () -> embedding.forward(GradCheck.randomVariable(1, 1, 1, 4, 4)));    // one channel
        assertThrows(IllegalArgumentException.class,
                () -> embedding.forward(GradCheck.randomVariable(1, 1, 3, 5, 4)));    // 5 not a multiple of 2
    }
}
