package org.tiaoyu.qformer.core.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.Fixtures;

class SafetensorsWriterTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(DType.class)
    void roundTripsEveryDtypeAndShape(DType dtype) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("matrix", sample(dtype, 2, 3));
        tensors.put("scalar", sample(dtype));
        tensors.put("empty", sample(dtype, 2, 0, 3));
        tensors.put("vector", sample(dtype, 5));
        Path file = dir.resolve("t.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), read.metadata());
            assertEquals(List.of("matrix", "scalar", "empty", "vector"),
                    read.tensors().stream().map(TensorInfo::name).toList());
            for (Map.Entry<String, INDArray> entry : tensors.entrySet()) {
                TensorInfo info = read.info(entry.getKey());
                assertEquals(dtype, info.dtype());
                assertArrayEquals(entry.getValue().shape(), info.shape());
                assertSameArray(entry.getValue(), read.load(entry.getKey()));
            }
            assertEquals(0, read.load("scalar").rank());
            assertArrayEquals(new long[] {2, 0, 3}, read.load("empty").shape());
        }
    }

    @Test
    void writesLittleEndianBytesAndASpacePaddedHeader() throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("f", Nd4j.createFromArray(1.5f, -2f));
        tensors.put("h", Nd4j.createFromArray(1f).castTo(DataType.FLOAT16));
        Path file = dir.resolve("t.safetensors");
        SafetensorsWriter.write(file, tensors);

        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLength % 8, "data starts 8-byte aligned");
        String header = new String(bytes, 8, headerLength, StandardCharsets.UTF_8);
        assertEquals("{\"f\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,10]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        byte[] expectedData = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1.5f).putFloat(-2f).putShort((short) 0x3C00).array();
        assertArrayEquals(expectedData, Arrays.copyOfRange(bytes, 8 + headerLength, bytes.length));
    }

    /** Our writer and the reference (Python) one agree byte for byte on the HF fixture. */
    @Test
    void rewritingTheHfFixtureReproducesItExactly() throws IOException {
        Path original = Fixtures.path("hf/public/model/model.safetensors");
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsFile read = SafetensorsFile.open(original)) {
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            read.tensors().forEach(t -> tensors.put(t.name(), read.load(t.name())));
            SafetensorsWriter.write(copy, tensors, read.metadata());
        }
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy));
    }

    @Test
    void writesViewsAndFOrderArraysInCOrder() {
        INDArray base = Nd4j.arange(0, 24).castTo(DataType.FLOAT).reshape(4, 6);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("columns", base.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3)));
        tensors.put("transposed", base.transpose());
        tensors.put("rows", base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all()));
        tensors.put("fOrder", base.dup('f'));
        Path file = dir.resolve("views.safetensors");
        SafetensorsWriter.write(file, tensors);
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            tensors.forEach((name, array) -> assertSameArray(array, read.load(name)));
        }
    }

    @Test
    void replacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("t.safetensors");
        Files.writeString(file, "old");
        SafetensorsWriter.write(file, Map.of("x", Nd4j.createFromArray(7f)));
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(7f, read.load("x").getFloat(0));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void failureMidWayLeavesTheTargetUntouched() throws IOException {
        Path file = dir.resolve("t.safetensors");
        Files.writeString(file, "old");
        // An interrupted thread's channel closes on its first write, after the temporary file exists.
        Thread.currentThread().interrupt();
        try {
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> SafetensorsWriter.write(file, Map.of("x", Nd4j.createFromArray(1f, 2f))));
            assertTrue(e.getMessage().startsWith(file + ": cannot write"), e.getMessage());
        } finally {
            Thread.interrupted();
        }
        assertEquals("old", Files.readString(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void rejectsAClosedArray() {
        INDArray closed = Nd4j.createFromArray(1f, 2f);
        closed.close();
        assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(dir.resolve("t.safetensors"), Map.of("closed", closed)));
    }

    @Test
    void reportsAnUnwritableTarget() {
        Path missingDir = dir.resolve("no/such/dir");
        BadInputException e = assertThrows(BadInputException.class,
                () -> SafetensorsWriter.write(missingDir.resolve("t.safetensors"), Map.of("x", Nd4j.createFromArray(1f))));
        assertEquals(missingDir + ": output directory does not exist", e.getMessage());
        BadInputException onDir = assertThrows(BadInputException.class,
                () -> SafetensorsWriter.write(dir, Map.of("x", Nd4j.createFromArray(1f))));
        assertEquals(dir + ": is a directory", onDir.getMessage());
    }

    @Test
    void writesALargeTensorBatchByBatch() {
        Path file = dir.resolve("rows.safetensors");
        INDArray whole = Nd4j.arange(0, 30).castTo(DataType.FLOAT).reshape(5, 3, 2);
        List<String> asked = new ArrayList<>();
        SafetensorsWriter.writeRows(file, "pixel_values", DataType.FLOAT, new long[] {5, 3, 2}, Map.of("format", "pt"),
                2, (from, to) -> {
                    asked.add(from + "-" + to);
                    return whole.get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all()).dup();
                });
        assertEquals(List.of("0-2", "2-4", "4-5"), asked);
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), read.metadata());
            assertSameArray(whole, read.load("pixel_values"));
        }
    }

    @Test
    void aBatchThatFailsOrHasTheWrongShapeLeavesNoFile() throws IOException {
        Path file = dir.resolve("rows.safetensors");
        assertThrows(BadInputException.class, () -> SafetensorsWriter.writeRows(file, "x", DataType.FLOAT,
                new long[] {4, 2}, Map.of(), 2, (from, to) -> {
                    if (from > 0) {
                        throw new BadInputException("image 3: not an image");
                    }
                    return Nd4j.create(DataType.FLOAT, 2, 2);
                }));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter
                .writeRows(file, "x", DataType.FLOAT, new long[] {4, 2}, Map.of(), 2,
                        (from, to) -> Nd4j.create(DataType.FLOAT, 2, 3)));
        assertTrue(shape.getMessage().contains("expected FLOAT [2, 2]"), shape.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void rejectsTheReservedName() {
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(dir.resolve("t.safetensors"),
                Map.of("__metadata__", Nd4j.createFromArray(1f))));
    }

    @Test
    void rejectsTypesWithoutADtype() {
        INDArray unsigned = Nd4j.create(DataType.UINT16, 2);
        assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(dir.resolve("t.safetensors"), Map.of("u", unsigned)));
    }

    /** Values that every dtype holds exactly: small integers and halves, or 0/1 for BOOL. */
    static INDArray sample(DType dtype, long... shape) {
        long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        double[] values = new double[(int) n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (dtype) {
                case BOOL -> i % 2;
                case U8 -> 200 + i;
                case F64, F32, F16, BF16 -> (i - 3) * 0.5;
                default -> i - 3;
            };
        }
        if (shape.length == 0) {
            return Nd4j.scalar(DataType.DOUBLE, values[0]).castTo(dtype.nd4j());
        }
        if (n == 0) {
            return Nd4j.create(dtype.nd4j(), shape, 'c');
        }
        return Nd4j.createFromArray(values).reshape(shape).castTo(dtype.nd4j());
    }

    /** Same type, shape and elements, compared exactly. */
    static void assertSameArray(INDArray expected, INDArray actual) {
        assertEquals(expected.dataType(), actual.dataType());
        assertArrayEquals(expected.shape(), actual.shape());
        if (!expected.isEmpty()) {
            assertArrayEquals(flat(expected), flat(actual));
        }
    }

    static double[] flat(INDArray array) {
        return array.castTo(DataType.DOUBLE).dup('c').reshape(array.length()).toDoubleVector();
    }
}
