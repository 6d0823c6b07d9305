package org.tiaoyu.qformer.core;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Layout checks for code that reads or writes an ND4J array's buffer directly. */
public final class DenseArrays {

    private DenseArrays() {}

    /**
     * Whether the array's elements lie in memory in C order with no gaps from its offset (so flat buffer indices
     * {@code offset + i} work); an axis of size 1 may carry any stride, and an empty array counts as dense.
     */
    public static boolean isDenseC(INDArray array) {
        if (array.isEmpty()) {
            return true;
        }
        long expected = 1;
        for (int i = array.rank() - 1; i >= 0; i--) {
            if (array.size(i) != 1 && array.stride(i) != expected) {
                return false;
            }
            expected *= array.size(i);
        }
        return true;
    }
}
