package org.tiaoyu.qformer.core.io.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a safetensors header: {@code "name": {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}}.
 *
 * @param name the tensor's key, e.g. {@code "query_tokens"}
 * @param dtype its element type
 * @param shape its dimensions, C order; {@code []} for a 0-d tensor (a scalar)
 * @param begin first byte, relative to the start of the data section (just after the header)
 * @param end one past the last byte, relative to the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /** @return a copy of the dimensions */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /**
     * @return the number of elements: 1 for a 0-d tensor, 0 if any dimension is 0
     * @throws ArithmeticException if it does not fit in a long (the reader rejects such headers)
     */
    public long numel() {
        for (long d : shape) {
            if (d == 0) {
                return 0;
            }
        }
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** @return {@code numel() * dtype().byteSize()}, which equals {@code end - begin} in a valid file */
    public long byteSize() {
        return Math.multiplyExact(numel(), dtype.byteSize());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
