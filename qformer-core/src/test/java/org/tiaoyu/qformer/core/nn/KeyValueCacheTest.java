package org.tiaoyu.qformer.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Tensor;

/** The growing cache holds exactly the concatenation of what was appended, across growth and row reordering. */
class KeyValueCacheTest {

    @Test
    void appendsGrowsAndReorders() {
        KeyValueCache cache = new KeyValueCache();
        INDArray keys = Nd4j.rand(DataType.FLOAT, 3, 2, 150, 4);
        INDArray values = Nd4j.rand(DataType.FLOAT, 3, 2, 150, 4);
        KeyValue all = null;
        int[] chunks = {40, 1, 1, 30, 78};                                   // crosses the initial 64 and 128
        int at = 0;
        for (int chunk : chunks) {
            try (var arena = Arena.open("kv-test")) {                        // the cache outlives every step's arena
                all = cache.append(new KeyValue(Tensor.constant(slice(keys, at, at + chunk).dup()),
                        Tensor.constant(slice(values, at, at + chunk).dup())));
                at += chunk;
                assertSame(slice(keys, 0, at), all.key().data());
                assertSame(slice(values, 0, at), all.value().data());
            }
        }
        assertEquals(150, cache.length());

        cache.select(new long[] {2, 2, 0, 1});
        INDArray one = Nd4j.rand(DataType.FLOAT, 4, 2, 1, 4);
        all = cache.append(new KeyValue(Tensor.constant(one), Tensor.constant(one)));
        long[] rows = {2, 2, 0, 1};
        for (int i = 0; i < rows.length; i++) {
            assertSame(row(keys, rows[i]), row(slice(all.key().data().dup(), 0, 150), i));
        }
        assertSame(one, slice(all.value().data().dup(), 150, 151));

        // Reorderings of the same width gather into the spare buffer, twice, so the buffers swap back and forth.
        long[] again = {3, 0, 0, 2};
        cache.select(again);
        cache.select(new long[] {0, 1, 2, 3});
        all = cache.append(new KeyValue(Tensor.constant(one), Tensor.constant(one)));
        for (int i = 0; i < again.length; i++) {
            assertSame(row(keys, rows[(int) again[i]]), row(slice(all.key().data().dup(), 0, 150), i));
            assertSame(row(one, again[i]), row(slice(all.value().data().dup(), 150, 151), i));
        }
        assertEquals(152, cache.length());
        cache.close();
        assertEquals(0, cache.length());
    }

    /** Same shape and values. (Views of the cache's views are copied first: ND4J 1.0.0-M2.1 loses the shape of a
     *  point-indexed view of a view.) */
    private static void assertSame(INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape());
        assertEquals(0.0, expected.sub(actual).amaxNumber().doubleValue());
    }

    private static INDArray row(INDArray a, long i) {
        return a.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
    }

    private static INDArray slice(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }
}
