package org.tiaoyu.qformer.core.io.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

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
     * Writes {@code tensors} to {@code file} atomically: into a temporary file in the same directory, synced to
     * disk, then moved over {@code file}. On failure the temporary file is removed and {@code file} is untouched.
     *
     * @param file the file to create or replace; its directory must exist
     * @param tensors name to array, in the order the data is to be laid out; a rank-0 array is written as
     *     shape {@code []}; views and non-C-order arrays are fine
     * @param metadata strings for the header's {@code __metadata__}, omitted if empty
     * @throws IllegalArgumentException if a name is {@code __metadata__}, an array was closed, or its type has no
     *     safetensors dtype
     * @throws SafetensorsException if the file cannot be written
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata) {
        byte[] header = header(tensors, metadata);
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new SafetensorsException(file, "cannot write: directory " + dir + " does not exist");
        }
        // Not Files.createTempFile: its owner-only permissions would carry over to the final file.
        Path temp = dir.resolve("." + file.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current()
                .nextLong()) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
                writeFully(channel, length.flip());
                writeFully(channel, ByteBuffer.wrap(header));
                for (INDArray array : tensors.values()) {
                    ArrayBytes.write(channel, array);
                }
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw SafetensorsException.io(file, "cannot write", e);
        } finally {
            try {
                Files.deleteIfExists(temp); // gone already after a successful move
            } catch (IOException e) {
                // Best effort: the write itself has already succeeded or thrown.
            }
        }
    }

    /** {@link #write(Path, Map, Map)} with no metadata. */
    public static void write(Path file, Map<String, INDArray> tensors) {
        write(file, tensors, Map.of());
    }

    /** @return the JSON header, padded with spaces to a multiple of 8 bytes */
    private static byte[] header(Map<String, INDArray> tensors, Map<String, String> metadata) {
        ObjectNode root = Header.STRICT_JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(Header.METADATA_KEY);
            metadata.forEach((key, value) -> meta.put(Objects.requireNonNull(key), Objects.requireNonNull(value)));
        }
        long offset = 0;
        for (Map.Entry<String, INDArray> entry : tensors.entrySet()) {
            String name = Objects.requireNonNull(entry.getKey(), "tensor name");
            INDArray array = Objects.requireNonNull(entry.getValue(), name);
            if (name.equals(Header.METADATA_KEY)) {
                throw new IllegalArgumentException(Header.METADATA_KEY + " is reserved and cannot name a tensor");
            }
            if (array.wasClosed()) {
                throw new IllegalArgumentException("tensor " + name + " was closed");
            }
            DType dtype = DType.of(array.dataType());
            long end = offset + array.length() * dtype.byteSize();
            ObjectNode info = root.putObject(name);
            info.put("dtype", dtype.name());
            ArrayNode shape = info.putArray("shape");
            Arrays.stream(array.shape()).forEach(shape::add);
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
