package org.tiaoyu.qformer.core.io.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-made safetensors files for tests, valid or not, byte by byte. */
final class Crafted {

    private Crafted() {
    }

    /** Writes the header length, then {@code header} as UTF-8, then {@code data}. */
    static Path file(Path file, String header, byte[] data) {
        return file(file, header.getBytes(StandardCharsets.UTF_8), data);
    }

    /** Writes the header length, then {@code header}, then {@code data}. */
    static Path file(Path file, byte[] header, byte[] data) {
        return bytes(file, ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).put(data).array());
    }

    /** Writes {@code length} as the header length, then {@code rest} as is. */
    static Path withLength(Path file, long length, byte[] rest) {
        return bytes(file, ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(length).put(rest).array());
    }

    static Path bytes(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Little-endian bytes of the floats. */
    static byte[] floats(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.array();
    }

    /** Little-endian bytes of the 16-bit values. */
    static byte[] shorts(short... values) {
        ByteBuffer buffer = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : values) {
            buffer.putShort(v);
        }
        return buffer.array();
    }
}
