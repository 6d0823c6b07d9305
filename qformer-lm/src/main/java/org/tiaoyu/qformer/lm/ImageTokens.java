package org.tiaoyu.qformer.lm;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * BLIP-2's soft prompt: the projected query outputs replace, in order, the embeddings at the {@code image_token_index}
 * positions of each row (HF's {@code inputs_embeds[special_image_mask] = language_model_inputs}). Differentiable in
 * both inputs, so stage 2 trains the projection through the frozen language model.
 */
public final class ImageTokens {

    private ImageTokens() {}

    /**
     * @param embeds     [B, T, E] token embeddings
     * @param projected  [B, Q, E] projected query outputs
     * @param inputIds   [B, T]
     * @param imageToken the image token id
     * @throws BadInputException when a row holds other than Q image tokens
     */
    public static Tensor scatter(Tensor embeds, Tensor projected, INDArray inputIds, long imageToken) {
        int b = (int) inputIds.size(0);
        int t = (int) inputIds.size(1);
        int q = (int) projected.size(1);
        requireCount(inputIds, imageToken, q);
        long[] ids = inputIds.reshape(inputIds.length()).castTo(DataType.INT64).toLongVector();
        long[] source = new long[b * t];       // row of projected.reshape(B·Q, E) each position takes
        float[] isImage = new float[b * t];
        for (int i = 0; i < b; i++) {
            int k = 0;
            for (int j = 0; j < t; j++) {
                if (ids[i * t + j] == imageToken) {
                    if (k == q) {
                        break;
                    }
                    source[i * t + j] = (long) i * q + k++;
                    isImage[i * t + j] = 1f;
                }
            }
        }
        long e = embeds.size(2);
        Tensor mask = Tensor.constant(Nd4j.create(isImage, new long[] {b, t, 1}, 'c').castTo(embeds.dataType()));
        Tensor images = Ops.indexSelect(projected.reshape((long) b * q, e), source).reshape(b, t, e);
        return embeds.mul(mask.mul(-1.0).add(1.0)).add(images.mul(mask));
    }

    /**
     * Checks that every row of {@code inputIds} [B, T] holds exactly {@code queries} image tokens.
     *
     * @throws BadInputException naming the first row that does not
     */
    public static void requireCount(INDArray inputIds, long imageToken, int queries) {
        long[][] rows = inputIds.castTo(DataType.INT64).toLongMatrix();
        for (int i = 0; i < rows.length; i++) {
            long found = Arrays.stream(rows[i]).filter(id -> id == imageToken).count();
            if (found != queries) {
                throw new BadInputException("input_ids row " + i + " holds " + found + " image tokens ("
                        + imageToken + "), the model has " + queries + " queries");
            }
        }
    }
}
