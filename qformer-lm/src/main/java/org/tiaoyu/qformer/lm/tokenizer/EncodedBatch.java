package org.tiaoyu.qformer.lm.tokenizer;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A padded batch, as HF's {@code tokenizer(texts, padding=True)} returns it: {@code inputIds} and
 * {@code attentionMask} are both {@code (batch, length)}, the mask 1 on real tokens and 0 on padding.
 */
public record EncodedBatch(long[][] inputIds, long[][] attentionMask) {

    public EncodedBatch {
        if (inputIds.length != attentionMask.length) {
            throw new IllegalArgumentException(
                    "inputIds has " + inputIds.length + " rows but attentionMask has " + attentionMask.length);
        }
    }

    /** @return the number of texts */
    public int size() {
        return inputIds.length;
    }

    /** @return the padded length, 0 for an empty batch */
    public int length() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /** @return a new INT64 array {@code (batch, length)} of the ids; the caller owns it */
    public INDArray inputIdsArray() {
        return Nd4j.createFromArray(inputIds);
    }

    /** @return a new INT64 array {@code (batch, length)} of the mask; the caller owns it */
    public INDArray attentionMaskArray() {
        return Nd4j.createFromArray(attentionMask);
    }
}
