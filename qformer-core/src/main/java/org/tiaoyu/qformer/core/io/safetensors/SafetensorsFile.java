package org.tiaoyu.qformer.core.io.safetensors;

import static org.tiaoyu.qformer.core.io.safetensors.SafetensorsException.quote;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.DenseArrays;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.NativeBackend;

/**
 * A <a href="https://github.com/huggingface/safetensors#format">safetensors</a> file, opened for reading:
 * an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to its dtype, shape
 * and {@code data_offsets} (plus an optional {@code __metadata__} object of strings), then the raw
 * little-endian C-order data.
 *
 * <p>{@link #open} checks the whole header before anything is loaded (see {@link SafetensorsException} for the
 * message form) and memory-maps the data section. Loading copies one tensor from the mapping straight into a
 * new or given ND4J array, converting the element type on the way if asked; the file's pages stay in the OS
 * page cache, not on the Java heap, so peak memory is the arrays loaded plus small buffers.
 *
 * <p>A {@link java.nio.MappedByteBuffer} holds at most 2 GiB, so the data is mapped in regions of whole
 * tensors, each at most that size; a tensor larger than that is mapped in pieces and can still be loaded, but
 * not returned by {@link #raw}. Java 17 cannot unmap explicitly: {@link #close} drops the mappings and the
 * garbage collector releases them. Reading is thread-safe.
 */
public final class SafetensorsFile implements AutoCloseable {

    static {
        NativeBackend.configure(); // before ND4J loads: the right native build for this CPU (a wrong one crashes)
    }

    private static final Logger log = LoggerFactory.getLogger(SafetensorsFile.class);

    /** The most one mapped region spans: what a ByteBuffer can index. */
    static final long MAX_REGION_BYTES = Integer.MAX_VALUE;

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private final Path path;
    private final Header header;
    private final Map<String, TensorInfo> byName;
    /** Each tensor's bytes: one read-only slice of a mapped region, or pieces of a huge one; null once closed. */
    private volatile Map<String, ByteBuffer[]> data;

    private SafetensorsFile(Path path, Header header, Map<String, ByteBuffer[]> data) {
        this.path = path;
        this.header = header;
        this.data = data;
        this.byName = new HashMap<>();
        for (TensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
        }
    }

    /**
     * Opens and validates a safetensors file and maps its data.
     *
     * @param file the {@code .safetensors} file
     * @return the open file
     * @throws SafetensorsException if the file is missing, unreadable, or breaks any rule of the format
     */
    public static SafetensorsFile open(Path file) {
        return open(file, MAX_REGION_BYTES);
    }

    /** {@link #open(Path)} with a smaller region size, so that tests can exercise the splitting. */
    static SafetensorsFile open(Path file, long maxRegionBytes) {
        if (!Files.exists(file)) {
            throw new SafetensorsException(file, "no such file");
        }
        if (Files.isDirectory(file)) {
            throw new SafetensorsException(file, "is a directory, not a safetensors file");
        }
        if (!Files.isRegularFile(file)) {
            throw new SafetensorsException(file, "is not a regular file");
        }
        // The mappings stay valid after the channel is closed, so no file handle is held open.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(file, "file is " + size
                        + " bytes, too short to hold the 8-byte header length");
            }
            ByteBuffer lengthBytes = readFully(file, channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
            long headerLength = lengthBytes.getLong(0);
            // Unsigned in the format: a negative long is a length over 2^63.
            if (headerLength < 0 || headerLength > Header.MAX_BYTES) {
                throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerLength)
                        + " is over the limit of " + Header.MAX_BYTES + " bytes");
            }
            if (headerLength > size - 8) {
                throw new SafetensorsException(file, "header length " + headerLength
                        + " is past the end of the file (" + size + " bytes)");
            }
            byte[] headerBytes = readFully(file, channel, 8, (int) headerLength).array();
            long dataStart = 8 + headerLength;
            Header header = Header.parse(file, headerBytes, size - dataStart);
            Map<String, ByteBuffer[]> data = map(channel, dataStart, size - dataStart, header.tensors(),
                    maxRegionBytes);
            log.debug("Opened {}: {} tensors, {} bytes of data", file, header.tensors().size(), size - dataStart);
            return new SafetensorsFile(file, header, data);
        } catch (IOException e) {
            throw SafetensorsException.io(file, "cannot read", e);
        }
    }

    /** @return the file this was opened from */
    public Path path() {
        return path;
    }

    /** @return the header's {@code __metadata__} strings in file order; empty if it has none */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** @return every tensor, in data-offset order */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    /** @return true if the file holds a tensor called {@code name} */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /**
     * @param name a tensor name
     * @return its header entry
     * @throws SafetensorsException if the file has no such tensor
     */
    public TensorInfo info(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw new SafetensorsException(path, "no tensor " + quote(name) + " (the file has "
                    + byName.size() + " tensors)");
        }
        return t;
    }

    /**
     * Loads a tensor into a new array, converting its elements to {@code target}: floats round to nearest even
     * when narrowed, floats become integers by truncation toward zero, integers narrow by keeping their low
     * bits (Java's casts), and {@code BOOL} is 0 or 1 either way. A 0-d tensor loads as a rank-0 scalar.
     *
     * @param name the tensor
     * @param target the element type of the result: one of the {@link DType#nd4j()} types
     * @return a new C-order array with the tensor's shape, outside any ND4J workspace
     * @throws SafetensorsException if there is no such tensor
     * @throws IllegalArgumentException if {@code target} has no safetensors dtype
     * @throws IllegalStateException if the file is closed
     */
    @SuppressWarnings("try") // the workspace scope is only entered and left
    public INDArray load(String name, DataType target) {
        TensorInfo t = info(name);
        DType.of(target); // throws for types safetensors cannot hold
        ByteBuffer[] pieces = pieces(name);
        INDArray array;
        // Weights outlive any workspace the caller may have open.
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            array = Nd4j.createUninitialized(target, t.shape(), 'c');
        }
        copy(t, pieces, array);
        return array;
    }

    /**
     * Loads rows {@code [from, to)} of a tensor's first dimension into a new array, converting as
     * {@link #load(String, DataType)} does: a batch of a large input without reading the rest of it.
     *
     * @return a new C-order array of shape [to − from, ...], outside any ND4J workspace
     * @throws SafetensorsException if there is no such tensor
     * @throws IllegalArgumentException if the tensor is 0-d or the rows are out of range
     */
    @SuppressWarnings("try") // the workspace scope is only entered and left
    public INDArray loadRows(String name, DataType target, long from, long to) {
        TensorInfo t = info(name);
        DType.of(target);
        long[] shape = t.shape().clone();
        if (shape.length == 0 || from < 0 || to > shape[0] || from > to) {
            throw new IllegalArgumentException(path + ": rows [" + from + ", " + to + ") of tensor " + quote(name)
                    + " with shape " + Arrays.toString(shape));
        }
        long rowElements = shape[0] == 0 ? 0 : t.byteSize() / t.dtype().byteSize() / shape[0];
        shape[0] = to - from;
        INDArray array;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            array = Nd4j.createUninitialized(target, shape, 'c');
        }
        long first = from * rowElements;
        long end = to * rowElements;
        long pieceStart = 0;
        int size = t.dtype().byteSize();
        for (ByteBuffer piece : pieces(name)) {
            long pieceEnd = pieceStart + piece.remaining() / size;
            long a = Math.max(first, pieceStart);
            long b = Math.min(end, pieceEnd);
            if (a < b) {
                ByteBuffer part = piece.slice((int) ((a - pieceStart) * size), (int) ((b - a) * size));
                ArrayBytes.copy(part, t.dtype(), array, a - first);
            }
            pieceStart = pieceEnd;
        }
        return array;
    }

    /**
     * Loads a tensor in its stored type ({@code F16} as {@code FLOAT16}, alias {@code HALF}; {@code U8} as
     * {@code UINT8}, alias {@code UBYTE}; {@code BOOL} as {@code BOOL}; see {@link DType#nd4j()}).
     *
     * @see #load(String, DataType)
     */
    public INDArray load(String name) {
        return load(name, info(name).dtype().nd4j());
    }

    /**
     * Copies a tensor into an existing array, converting to its type as {@link #load(String, DataType)} does.
     * A dense C-order destination (a whole array or a contiguous view) is written straight from the mapping;
     * any other view goes through one temporary dense copy.
     *
     * @param name the tensor
     * @param destination an array of exactly the tensor's shape
     * @throws SafetensorsException if there is no such tensor or the shapes differ
     * @throws IllegalArgumentException if the destination's type has no safetensors dtype
     * @throws IllegalStateException if the file is closed
     */
    public void loadInto(String name, INDArray destination) {
        TensorInfo t = info(name);
        if (!Arrays.equals(t.shape(), destination.shape())) {
            throw new SafetensorsException(path, "tensor " + quote(name) + " has shape "
                    + Arrays.toString(t.shape()) + ", but the destination has shape "
                    + Arrays.toString(destination.shape()));
        }
        DType.of(destination.dataType()); // throws for types safetensors cannot hold
        if (DenseArrays.isDenseC(destination)) {
            copy(t, pieces(name), destination);
        } else {
            try (INDArray dense = load(name, destination.dataType())) {
                destination.assign(dense);
            }
        }
    }

    /**
     * The tensor's bytes as stored: little-endian, C order.
     *
     * @param name the tensor
     * @return a new read-only little-endian buffer over the mapped data, valid after {@link #close}
     * @throws SafetensorsException if there is no such tensor, or it is over 2 GiB (use {@link #load})
     * @throws IllegalStateException if the file is closed
     */
    public ByteBuffer raw(String name) {
        TensorInfo t = info(name);
        ByteBuffer[] pieces = pieces(name);
        if (pieces.length != 1) {
            throw new SafetensorsException(path, "tensor " + quote(name) + " is " + t.byteSize()
                    + " bytes, more than one ByteBuffer can hold; load it instead");
        }
        return pieces[0].duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Drops the mappings. Later calls to {@code load}, {@code loadInto} and {@code raw} throw
     * {@link IllegalStateException}; the header queries keep working. Idempotent.
     */
    @Override
    public void close() {
        data = null;
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + header.tensors().size() + " tensors]";
    }

    private ByteBuffer[] pieces(String name) {
        Map<String, ByteBuffer[]> open = data;
        if (open == null) {
            throw new IllegalStateException(path + ": closed");
        }
        return open.get(name);
    }

    private static void copy(TensorInfo t, ByteBuffer[] pieces, INDArray dest) {
        long element = 0;
        for (ByteBuffer piece : pieces) {
            ArrayBytes.copy(piece, t.dtype(), dest, element);
            element += piece.remaining() / t.dtype().byteSize();
        }
    }

    /**
     * Maps the data section in as few regions as possible, each at most {@code maxRegion} bytes and made of
     * whole tensors; a tensor bigger than {@code maxRegion} gets pieces of its own, split on element boundaries.
     */
    private static Map<String, ByteBuffer[]> map(FileChannel channel, long dataStart, long dataSize,
            List<TensorInfo> tensors, long maxRegion) throws IOException {
        Map<String, ByteBuffer[]> data = new HashMap<>();
        ByteBuffer region = null;
        long regionStart = 0;
        for (TensorInfo t : tensors) {
            long bytes = t.byteSize();
            if (bytes == 0) {
                data.put(t.name(), new ByteBuffer[] {EMPTY});
            } else if (bytes > maxRegion) {
                long pieceBytes = maxRegion - maxRegion % t.dtype().byteSize();
                List<ByteBuffer> pieces = new ArrayList<>();
                for (long offset = t.begin(); offset < t.end(); offset += pieceBytes) {
                    long n = Math.min(pieceBytes, t.end() - offset);
                    pieces.add(channel.map(FileChannel.MapMode.READ_ONLY, dataStart + offset, n));
                }
                data.put(t.name(), pieces.toArray(ByteBuffer[]::new));
            } else {
                if (region == null || t.end() > regionStart + region.capacity()) {
                    regionStart = t.begin();
                    region = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + regionStart,
                            Math.min(maxRegion, dataSize - regionStart));
                }
                data.put(t.name(), new ByteBuffer[] {region.slice((int) (t.begin() - regionStart), (int) bytes)});
            }
        }
        return Map.copyOf(data);
    }

    private static ByteBuffer readFully(Path file, FileChannel channel, long position, int length)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new SafetensorsException(file, "file ended while reading the header; was it truncated?");
            }
        }
        return buffer.flip();
    }
}
