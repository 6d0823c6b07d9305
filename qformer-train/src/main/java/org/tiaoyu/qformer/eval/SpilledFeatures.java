package org.tiaoyu.qformer.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every gallery image's vision features ([P, D] floats each), kept in a temporary file rather than in memory: the
 * re-ranking reads a few at a time, and a gallery of thousands of images would otherwise hold gigabytes (a ViT-g
 * image is 1.4 MB). The operating system's page cache keeps what fits in memory. The file is deleted on close.
 */
final class SpilledFeatures implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private long[] rowShape;        // [P, D], from the first batch
    private long rowBytes;
    private int count;

    SpilledFeatures() {
        try {
            file = Files.createTempFile("qformer-retrieval-", ".f32");
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file for the image features", e);
        }
    }

    /** Appends a batch [B, P, D]. */
    void append(INDArray batch) {
        long[] shape = Arrays.copyOfRange(batch.shape(), 1, 3);
        if (rowShape == null) {
            rowShape = shape;
            rowBytes = shape[0] * shape[1] * Float.BYTES;
        } else if (!Arrays.equals(rowShape, shape)) {
            throw new IllegalArgumentException("image features " + Arrays.toString(shape) + " after "
                    + Arrays.toString(rowShape));
        }
        float[] values = batch.castTo(DataType.FLOAT).dup('c').data().asFloat();
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        try {
            long position = count * rowBytes;
            while (bytes.hasRemaining()) {
                position += channel.write(bytes, position);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write image features to " + file, e);
        }
        count += (int) batch.size(0);
    }

    /** The features of images {@code rows} (repeats allowed), [rows.length, P, D]. */
    INDArray get(int[] rows) {
        float[] out = new float[(int) (rows.length * rowBytes / Float.BYTES)];
        ByteBuffer row = ByteBuffer.allocate((int) rowBytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (int i = 0; i < rows.length; i++) {
                if (rows[i] < 0 || rows[i] >= count) {
                    throw new IndexOutOfBoundsException("image " + rows[i] + " of " + count);
                }
                row.clear();
                long position = rows[i] * rowBytes;
                while (row.hasRemaining()) {
                    int read = channel.read(row, position + row.position());
                    if (read < 0) {
                        throw new IOException("unexpected end of file");
                    }
                }
                row.flip();
                row.asFloatBuffer().get(out, (int) (i * rowBytes / Float.BYTES), (int) (rowBytes / Float.BYTES));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image features from " + file, e);
        }
        return Nd4j.create(out, new long[] {rows.length, rowShape[0], rowShape[1]}, 'c');
    }

    @Override
    public void close() {
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
