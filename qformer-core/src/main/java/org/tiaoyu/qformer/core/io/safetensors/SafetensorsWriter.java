package org.tiaoyu.qformer.core.io.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.io.AtomicFile;

/**
 * Writes <a href="https://github.com/huggingface/safetensors#format">safetensors</a> files: the 8-byte
 * little-endian header length, the JSON header padded with spaces to a multiple of 8 bytes (as the reference
 * writer does, so that the data is aligned when mapped), then each array's elements, little-endian, C order,
 * in its own type.
 */
public final class SafetensorsWriter {

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} to {@code file} atomically ({@link AtomicFile}): into a temporary file in the same
     * directory, synced to disk, then moved over {@code file}. On failure the temporary file is removed and
     * {@code file} is untouched.
     *
     * @param file the file to create or replace; its directory must exist
     * @param tensors name to array, in the order the data is to be laid out; a rank-0 array is written as
     *     shape {@code []}; views and non-C-order arrays are fine
     * @param metadata strings for the header's {@code __metadata__}, omitted if empty
     * @throws IllegalArgumentException if a name is {@code __metadata__}, an array was closed, or its type has no
     *     safetensors dtype
     * @throws SafetensorsException if the file cannot be written
     * @throws org.tiaoyu.qformer.core.BadInputException if the path cannot be written to (see {@link AtomicFile})
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata) {
        Map<String, Layout> layouts = new LinkedHashMap<>();
        tensors.forEach((name, array) -> {
            Objects.requireNonNull(array, name);
            if (array.wasClosed()) {
                throw new IllegalArgumentException("tensor " + name + " was closed");
            }
            layouts.put(name, new Layout(DType.of(array.dataType()), array.shape()));
        });
        write(file, layouts, metadata, channel -> {
            for (INDArray array : tensors.values()) {
                ArrayBytes.write(channel, array);
            }
        });
    }

    /**
     * Writes one tensor [N, ...] batch by batch, for outputs too large to hold in memory at once: {@code rows} is
     * asked for rows {@code [from, to)} in order, at most {@code batchRows} at a time, and each batch is written
     * before the next is made. Atomic as {@link #write(Path, Map, Map)}: a batch that fails leaves no file.
     *
     * @param shape the whole tensor's shape; {@code rows} must give [to − from, shape[1], ...] of {@code type}
     */
    public static void writeRows(Path file, String name, DataType type, long[] shape, Map<String, String> metadata,
            long batchRows, RowBatches rows) {
        if (shape.length == 0 || batchRows < 1) {
            throw new IllegalArgumentException("writeRows needs a tensor of rank ≥ 1 and a positive batch size");
        }
        write(file, Map.of(name, new Layout(DType.of(type), shape)), metadata, channel -> {
            for (long from = 0; from < shape[0]; from += batchRows) {
                long to = Math.min(shape[0], from + batchRows);
                INDArray batch = rows.rows(from, to);
                long[] expected = shape.clone();
                expected[0] = to - from;
                if (!Arrays.equals(expected, batch.shape()) || batch.dataType() != type) {
                    throw new IllegalArgumentException("rows [" + from + ", " + to + ") of " + name + " came as "
                            + batch.dataType() + " " + Arrays.toString(batch.shape()) + ", expected " + type + " "
                            + Arrays.toString(expected));
                }
                ArrayBytes.write(channel, batch);
            }
        });
    }

    /** Makes rows {@code [from, to)} of a tensor written by {@link #writeRows}. */
    @FunctionalInterface
    public interface RowBatches {
        INDArray rows(long from, long to);
    }

    /** A tensor's entry in the header. */
    private record Layout(DType dtype, long[] shape) {
        long bytes() {
            return Arrays.stream(shape).reduce(1, Math::multiplyExact) * dtype.byteSize();
        }
    }

    /** The data writer of {@link #write(Path, Map, Map, Data)}: the tensors' bytes in header order. */
    private interface Data {
        void write(FileChannel channel) throws IOException;
    }

    private static void write(Path file, Map<String, Layout> layouts, Map<String, String> metadata, Data data) {
        byte[] header = header(layouts, metadata);
        try (AtomicFile out = AtomicFile.create(file)) {
            try (FileChannel channel = FileChannel.open(out.path(), StandardOpenOption.WRITE)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
                writeFully(channel, length.flip());
                writeFully(channel, ByteBuffer.wrap(header));
                data.write(channel);
            }
            out.commit();
        } catch (IOException e) {
            throw SafetensorsException.io(file, "cannot write", e);
        }
    }

    /** {@link #write(Path, Map, Map)} with no metadata. */
    public static void write(Path file, Map<String, INDArray> tensors) {
        write(file, tensors, Map.of());
    }

    /** @return the JSON header, padded with spaces to a multiple of 8 bytes */
    private static byte[] header(Map<String, Layout> layouts, Map<String, String> metadata) {
        ObjectNode root = Header.STRICT_JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(Header.METADATA_KEY);
            metadata.forEach((key, value) -> meta.put(Objects.requireNonNull(key), Objects.requireNonNull(value)));
        }
        long offset = 0;
        for (Map.Entry<String, Layout> entry : layouts.entrySet()) {
            String name = Objects.requireNonNull(entry.getKey(), "tensor name");
            if (name.equals(Header.METADATA_KEY)) {
                throw new IllegalArgumentException(Header.METADATA_KEY + " is reserved and cannot name a tensor");
            }
            Layout layout = entry.getValue();
            long end = offset + layout.bytes();
            ObjectNode info = root.putObject(name);
            info.put("dtype", layout.dtype().name());
            ArrayNode shape = info.putArray("shape");
            Arrays.stream(layout.shape()).forEach(shape::add);
            info.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = Header.STRICT_JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            // Only strings that are not valid Unicode (a lone surrogate) can fail here.
            throw new IllegalArgumentException("cannot encode the header: " + e.getOriginalMessage(), e);
        }
        if (json.length > Header.MAX_BYTES) {
            throw new IllegalArgumentException("the header would be " + json.length
                    + " bytes, over the format's limit of " + Header.MAX_BYTES);
        }
        byte[] padded = Arrays.copyOf(json, (json.length + 7) & ~7);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
