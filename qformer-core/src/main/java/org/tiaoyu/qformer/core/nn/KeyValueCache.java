package org.tiaoyu.qformer.core.nn;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * A decoder layer's self-attention keys and values during generation: buffers [B, heads, capacity, headSize] with
 * room to grow (doubling), outside every arena, into which each step writes its new positions. A step then costs the
 * same whatever the length so far (no concatenation of everything cached), and the memory is that of the cache, not
 * of every step's copy. Inference only: the views it returns carry no gradient.
 */
public final class KeyValueCache {

    private static final int INITIAL_CAPACITY = 64;

    private INDArray keys;
    private INDArray values;
    private int length;

    /** The positions cached so far. */
    public int length() {
        return length;
    }

    /** Writes {@code next} ([B, H, T, d] each) after the cached positions; the whole cache as views [B, H, L+T, d]. */
    public KeyValue append(KeyValue next) {
        INDArray k = next.key().data();
        INDArray v = next.value().data();
        int t = (int) k.size(2);
        if (keys == null || length + t > keys.size(2)) {
            grow(k, Math.max(INITIAL_CAPACITY, 2 * (length + t)));
        }
        keys.get(positions(length, length + t)).assign(k);
        values.get(positions(length, length + t)).assign(v);
        length += t;
        return new KeyValue(Tensor.constant(keys.get(positions(0, length))),
                Tensor.constant(values.get(positions(0, length))));
    }

    /** Keeps the batch rows {@code rows} in that order, repeats allowed (beam search reorders its beams). */
    public void select(long[] rows) {
        if (keys == null) {
            return;
        }
        int[] pulled = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            pulled[i] = (int) rows[i];
        }
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            keys = pullRows(keys, pulled);
            values = pullRows(values, pulled);
        }
    }

    /** Rows of a c-ordered [B, ...] buffer, as a new [rows.length, ...] buffer. */
    private static INDArray pullRows(INDArray buffer, int[] rows) {
        long[] shape = buffer.shape().clone();
        INDArray flat = buffer.reshape('c', shape[0], buffer.length() / shape[0]);
        shape[0] = rows.length;
        return Nd4j.pullRows(flat, 1, rows).reshape('c', shape);
    }

    private void grow(INDArray like, long capacity) {
        long[] shape = like.shape().clone();
        shape[2] = capacity;
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray newKeys = Nd4j.create(like.dataType(), shape);
            INDArray newValues = Nd4j.create(like.dataType(), shape);
            if (keys != null && length > 0) {
                newKeys.get(positions(0, length)).assign(keys.get(positions(0, length)));
                newValues.get(positions(0, length)).assign(values.get(positions(0, length)));
            }
            keys = newKeys;
            values = newValues;
        }
    }

    private static INDArrayIndex[] positions(long from, long to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to),
            NDArrayIndex.all()};
    }
}
