package org.tiaoyu.qformer.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.GradCheck;
import org.tiaoyu.qformer.core.autograd.Tensor;

class ImageTokensTest {

    private static final long IMAGE = 9;

    @Test
    void imageRowsTakeTheQueriesInOrderAndTheRestKeepTheirEmbeddings() {
        INDArray ids = Nd4j.createFromArray(new long[][] {{9, 9, 2, 5}, {1, 9, 9, 2}});
        Tensor embeds = GradCheck.randomVariable(1, 2, 4, 3);
        Tensor projected = GradCheck.randomVariable(2, 2, 2, 3);
        INDArray out = ImageTokens.scatter(embeds, projected, ids, IMAGE).data();
        assertEquals(projected.data().getDouble(0, 1, 2), out.getDouble(0, 1, 2), 0.0);
        assertEquals(embeds.data().getDouble(0, 3, 0), out.getDouble(0, 3, 0), 0.0);
        assertEquals(projected.data().getDouble(1, 0, 1), out.getDouble(1, 1, 1), 0.0, "left-padded row");
        assertEquals(embeds.data().getDouble(1, 0, 1), out.getDouble(1, 0, 1), 0.0);
        GradCheck.check(t -> ImageTokens.scatter(t[0], t[1], ids, IMAGE), embeds, projected);
    }

    @Test
    void aRowWithTheWrongNumberOfImageTokensIsAnError() {
        INDArray ids = Nd4j.createFromArray(new long[][] {{9, 2, 5, 5}});
        var e = assertThrows(BadInputException.class, () -> ImageTokens.scatter(GradCheck.randomVariable(1, 1, 4, 3),
                GradCheck.randomVariable(2, 1, 2, 3), ids, IMAGE));
        assertTrue(e.getMessage().contains("row 0 holds 1 image tokens (9), the model has 2 queries"), e.getMessage());
    }
}
