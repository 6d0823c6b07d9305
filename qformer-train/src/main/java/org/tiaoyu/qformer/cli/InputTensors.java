package org.tiaoyu.qformer.cli;

import java.nio.file.Path;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/**
 * The tensors a command reads from its {@code --inputs} safetensors file, each checked for presence and shape with
 * a one-line message naming the file (DESIGN §5).
 */
final class InputTensors implements AutoCloseable {

    private final SafetensorsFile file;

    InputTensors(Path path) {
        this.file = SafetensorsFile.open(path);
    }

    /**
     * The tensor {@code name} converted to {@code type}; {@code shape} gives the expected sizes, -1 for any
     * (its length is the rank).
     */
    INDArray require(String name, DataType type, long... shape) {
        requireShape(name, shape);
        return file.load(name, type);
    }

    /**
     * Checks the tensor {@code name} as {@link #require} does, without loading it.
     *
     * @return its shape
     */
    long[] requireShape(String name, long... shape) {
        if (!file.contains(name)) {
            throw new BadInputException(file.path() + ": no tensor '" + name + "'");
        }
        long[] actual = file.info(name).shape();
        boolean fits = actual.length == shape.length;
        for (int i = 0; fits && i < shape.length; i++) {
            fits = shape[i] < 0 || shape[i] == actual[i];
        }
        if (!fits) {
            throw new BadInputException(file.path() + ": tensor '" + name + "' has shape " + Arrays.toString(actual)
                    + ", expected " + Arrays.toString(shape).replace("-1", "*"));
        }
        return actual;
    }

    /** Rows {@code [from, to)} of the tensor {@code name} (checked with {@link #requireShape}), as {@code type}. */
    INDArray rows(String name, DataType type, long from, long to) {
        return file.loadRows(name, type, from, to);
    }

    /** Whether the file holds a tensor {@code name}. */
    boolean has(String name) {
        return file.contains(name);
    }

    /** Fails with a message naming the file unless every value of {@code ids} lies in [0, bound). */
    void requireIndices(String name, INDArray ids, long bound) {
        for (long v : ids.reshape(ids.length()).toLongVector()) {
            if (v < 0 || v >= bound) {
                throw new BadInputException(file.path() + ": tensor '" + name + "' holds " + v
                        + ", outside [0, " + bound + ")");
            }
        }
    }

    Path path() {
        return file.path();
    }

    @Override
    public void close() {
        file.close();
    }
}
