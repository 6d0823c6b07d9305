package org.tiaoyu.qformer.core.nn;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * A decoder layer's self-attention keys and values during generation: buffers [B, heads, capacity, headSize] with
 * room to grow (doubling), outside every arena, into which each step writes its new positions. A step then costs the
 * same whatever the length so far (no concatenation of everything cached), and the memory is that of the cache, not
 * of every step's copy. Beam search's reordering gathers into a spare buffer of the same size, kept from step to
 * step, so a step allocates nothing here. Buffers it replaces are freed at once, and {@link #close} frees the rest:
 * off-heap memory would otherwise wait for Java's garbage collector, which a heap with little garbage rarely runs.
 * Inference only: the views it returns carry no gradient.
 */
public final class KeyValueCache implements AutoCloseable {

    private static final int INITIAL_CAPACITY = 64;

    private INDArray keys;
    private INDArray values;
    private INDArray spareKeys;                       // select's gather target, same shape as keys
    private INDArray spareValues;
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
            if (rows.length != keys.size(0)) {                // widened or narrowed: buffers of the new size
                Arena.release(spareKeys, spareValues);
                spareKeys = like(keys, rows.length);
                spareValues = like(values, rows.length);
            } else if (spareKeys == null) {
                spareKeys = like(keys, rows.length);
                spareValues = like(values, rows.length);
            }
            pullRows(keys, spareKeys, pulled);
            pullRows(values, spareValues, pulled);
            INDArray oldKeys = keys;
            INDArray oldValues = values;
            keys = spareKeys;
            values = spareValues;
            if (oldKeys.size(0) == keys.size(0)) {
                spareKeys = oldKeys;                          // the next reordering gathers into these
                spareValues = oldValues;
            } else {
                Arena.release(oldKeys, oldValues);
                spareKeys = null;
                spareValues = null;
            }
        }
    }

    /** Frees the buffers now; the cache is empty afterwards. */
    @Override
    public void close() {
        Arena.release(keys, values);
        Arena.release(spareKeys, spareValues);
        keys = values = spareKeys = spareValues = null;
        length = 0;
    }

    /** Rows {@code rows} of a c-ordered [B, ...] buffer into {@code into} [rows.length, ...]. */
    private static void pullRows(INDArray buffer, INDArray into, int[] rows) {
        INDArray flat = buffer.reshape('c', buffer.size(0), buffer.length() / buffer.size(0));
        INDArray target = into.reshape('c', into.size(0), into.length() / into.size(0));
        Nd4j.pullRows(flat, target, 1, rows);
    }

    private static INDArray like(INDArray buffer, long rows) {
        long[] shape = buffer.shape().clone();
        shape[0] = rows;
        return Nd4j.create(buffer.dataType(), shape);
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
            Arena.release(keys, values);
            Arena.release(spareKeys, spareValues);                     // of the old capacity
            spareKeys = spareValues = null;
            keys = newKeys;
            values = newValues;
        }
    }

    private static INDArrayIndex[] positions(long from, long to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to),
            NDArrayIndex.all()};
    }
}
