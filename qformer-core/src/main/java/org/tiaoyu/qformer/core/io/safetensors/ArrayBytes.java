package org.tiaoyu.qformer.core.io.safetensors;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.DenseArrays;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Moves elements between safetensors data (little-endian, C order) and the native memory behind an ND4J array,
 * through small direct-buffer windows: no copy of a whole tensor on the Java heap. Assumes a little-endian
 * machine, as ND4J's native backends (x86-64, arm64, ppc64le) are.
 */
final class ArrayBytes {

    /** Elements converted per step; the staging arrays stay small (512 KiB of doubles). */
    private static final int CHUNK = 1 << 16;
    /** Bytes handed to the channel per write; also the most a window over array memory spans. */
    private static final int WRITE_CHUNK = 1 << 26;

    private ArrayBytes() {
    }

    /**
     * Copies {@code source} (little-endian elements of type {@code from}) into a dense C-order {@code dest},
     * starting at its element {@code first}, converting to {@code dest}'s type.
     */
    static void copy(ByteBuffer source, DType from, INDArray dest, long first) {
        ByteBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        DType to = DType.of(dest.dataType());
        int count = src.remaining() / from.byteSize();
        if (count == 0) {
            return;
        }
        // BOOL goes through the conversion so that any non-zero byte becomes a proper 1.
        if (from == to && from != DType.BOOL) {
            window(dest, first * to.byteSize(), src.remaining()).put(src);
        } else if (from.isFloatingPoint()) {
            double[] values = new double[Math.min(CHUNK, count)];
            for (int done = 0; done < count; done += values.length) {
                int n = Math.min(values.length, count - done);
                readDoubles(src, from, values, n);
                writeDoubles(window(dest, (first + done) * to.byteSize(), n * to.byteSize()), to, values, n);
            }
        } else {
            long[] values = new long[Math.min(CHUNK, count)];
            for (int done = 0; done < count; done += values.length) {
                int n = Math.min(values.length, count - done);
                readLongs(src, from, values, n);
                writeLongs(window(dest, (first + done) * to.byteSize(), n * to.byteSize()), to, values, n);
            }
        }
        // The windows do not keep dest alive; its native memory must outlive the writes through them.
        Reference.reachabilityFence(dest);
    }

    /** Writes the array's elements to {@code channel} as safetensors data: its own type, little-endian, C order. */
    @SuppressWarnings("try") // the workspace scope is only entered and left
    static void write(WritableByteChannel channel, INDArray array) throws IOException {
        if (array.isEmpty()) {
            return;
        }
        INDArray dense = array;
        if (!DenseArrays.isDenseC(array)) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                dense = array.dup('c');
            }
        }
        long bytes = dense.length() * DType.of(dense.dataType()).byteSize();
        for (long offset = 0; offset < bytes; offset += WRITE_CHUNK) {
            ByteBuffer window = window(dense, offset, (int) Math.min(WRITE_CHUNK, bytes - offset));
            while (window.hasRemaining()) {
                channel.write(window);
            }
        }
        Reference.reachabilityFence(dense);
        if (dense != array) {
            dense.close();
        }
    }

    /** A native-order view of {@code length} bytes of a dense array's memory, from byte {@code offset}. */
    private static ByteBuffer window(INDArray array, long offset, int length) {
        Pointer address = array.data().addressPointer(); // the array's first element, views included
        long start = address.position() * DType.of(array.dataType()).byteSize() + offset;
        return new BytePointer(address).capacity(start + length).limit(start + length).position(start)
                .asByteBuffer().order(ByteOrder.nativeOrder());
    }

    private static void readDoubles(ByteBuffer src, DType from, double[] out, int n) {
        switch (from) {
            case F64 -> { for (int i = 0; i < n; i++) out[i] = src.getDouble(); }
            case F32 -> { for (int i = 0; i < n; i++) out[i] = src.getFloat(); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = HalfPrecision.halfToFloat(src.getShort()); }
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = HalfPrecision.bfloat16ToFloat(src.getShort()); }
            default -> throw new IllegalArgumentException(from + " is not a floating-point dtype");
        }
    }

    private static void readLongs(ByteBuffer src, DType from, long[] out, int n) {
        switch (from) {
            case I64 -> { for (int i = 0; i < n; i++) out[i] = src.getLong(); }
            case I32 -> { for (int i = 0; i < n; i++) out[i] = src.getInt(); }
            case I16 -> { for (int i = 0; i < n; i++) out[i] = src.getShort(); }
            case I8 -> { for (int i = 0; i < n; i++) out[i] = src.get(); }
            case U8 -> { for (int i = 0; i < n; i++) out[i] = src.get() & 0xFF; }
            case BOOL -> { for (int i = 0; i < n; i++) out[i] = src.get() != 0 ? 1 : 0; }
            default -> throw new IllegalArgumentException(from + " is not an integer dtype");
        }
    }

    /** Narrowing follows Java's casts: floats to integers truncate toward zero and saturate at int/long. */
    private static void writeDoubles(ByteBuffer dst, DType to, double[] in, int n) {
        switch (to) {
            case F64 -> { for (int i = 0; i < n; i++) dst.putDouble(in[i]); }
            case F32 -> { for (int i = 0; i < n; i++) dst.putFloat((float) in[i]); }
            case F16 -> { for (int i = 0; i < n; i++) dst.putShort(HalfPrecision.doubleToHalf(in[i])); }
            case BF16 -> { for (int i = 0; i < n; i++) dst.putShort(HalfPrecision.doubleToBfloat16(in[i])); }
            case I64 -> { for (int i = 0; i < n; i++) dst.putLong((long) in[i]); }
            case I32 -> { for (int i = 0; i < n; i++) dst.putInt((int) in[i]); }
            case I16 -> { for (int i = 0; i < n; i++) dst.putShort((short) in[i]); }
            case I8, U8 -> { for (int i = 0; i < n; i++) dst.put((byte) in[i]); }
            case BOOL -> { for (int i = 0; i < n; i++) dst.put((byte) (in[i] != 0 ? 1 : 0)); }
        }
    }

    /** Narrowing follows Java's casts: integers keep their low bits. */
    private static void writeLongs(ByteBuffer dst, DType to, long[] in, int n) {
        switch (to) {
            case F64 -> { for (int i = 0; i < n; i++) dst.putDouble(in[i]); }
            case F32 -> { for (int i = 0; i < n; i++) dst.putFloat(in[i]); }
            case F16 -> { for (int i = 0; i < n; i++) dst.putShort(HalfPrecision.doubleToHalf(in[i])); }
            case BF16 -> { for (int i = 0; i < n; i++) dst.putShort(HalfPrecision.doubleToBfloat16(in[i])); }
            case I64 -> { for (int i = 0; i < n; i++) dst.putLong(in[i]); }
            case I32 -> { for (int i = 0; i < n; i++) dst.putInt((int) in[i]); }
            case I16 -> { for (int i = 0; i < n; i++) dst.putShort((short) in[i]); }
            case I8, U8 -> { for (int i = 0; i < n; i++) dst.put((byte) in[i]); }
            case BOOL -> { for (int i = 0; i < n; i++) dst.put((byte) (in[i] != 0 ? 1 : 0)); }
        }
    }
}
