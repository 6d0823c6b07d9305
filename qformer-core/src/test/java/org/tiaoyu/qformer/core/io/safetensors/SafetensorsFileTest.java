package org.tiaoyu.qformer.core.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriterTest.assertSameArray;
import static org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriterTest.flat;
import static org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriterTest.sample;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.Fixtures;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    @Test
    void readsTheHfFixture() {
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.path("hf/public/model/model.safetensors"))) {
            assertEquals(Map.of("format", "pt"), file.metadata());
            assertEquals(123, file.tensors().size());
            assertEquals("language_model.model.decoder.embed_positions.weight", file.tensors().get(0).name());
            long expectedBegin = 0;
            for (TensorInfo t : file.tensors()) { // data-offset order, back to back
                assertEquals(expectedBegin, t.begin(), t.name());
                expectedBegin = t.end();
            }

            TensorInfo query = file.info("query_tokens");
            assertEquals(DType.F32, query.dtype());
            assertArrayEquals(new long[] {1, 4, 48}, query.shape());
            INDArray tokens = file.load("query_tokens");
            assertArrayEquals(new long[] {1, 4, 48}, tokens.shape());
            assertEquals(DataType.FLOAT, tokens.dataType());
            // Values read with numpy from the same file.
            assertEquals(-0.5945749f, tokens.getFloat(0, 0, 0));
            assertEquals(-1.149318f, tokens.getFloat(0, 3, 47));
            assertEquals(12.97451438329881, tokens.castTo(DataType.DOUBLE).sumNumber().doubleValue(), 1e-9);
            assertArrayEquals(new long[] {32, 48}, file.info("language_projection.weight").shape());
            assertArrayEquals(new long[] {32, 3, 8, 8},
                    file.load("vision_model.embeddings.patch_embedding.weight").shape());
        }
    }

    /** Its header is padded with trailing spaces, and {@code temp} is 0-d. */
    @Test
    void readsTheStage1Fixture() {
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.path("stage1/stage1_model/model.safetensors"))) {
            assertArrayEquals(new long[0], file.info("temp").shape());
            INDArray temp = file.load("temp");
            assertEquals(0, temp.rank());
            assertTrue(temp.isScalar());
            assertEquals(0.0731f, temp.getFloat(0));
            assertTrue(file.contains("cls.predictions.transform.dense.weight"));
            assertArrayEquals(new long[] {120}, file.info("cls.predictions.bias").shape());
            assertEquals(-0.12309742f, file.load("cls.predictions.bias").getFloat(0));
        }
    }

    @Test
    void readsTheE2ePixelValues() {
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.path("e2e/e2e_pixel_values.safetensors"))) {
            assertEquals(Map.of(), file.metadata());
            assertEquals(List.of("gray_257x129", "photo_640x427", "rgba_200x300"),
                    file.tensors().stream().map(TensorInfo::name).toList());
            assertArrayEquals(new long[] {1, 3, 48, 48}, file.load("photo_640x427").shape());
        }
    }

    /** ND4J's HALF and BFLOAT16 memory (filled by a plain copy) agrees with our decoding, for every pattern. */
    @Test
    void everyHalfAndBfloat16PatternDecodesLikeNd4j() {
        short[] patterns = new short[0x10000];
        for (int i = 0; i < patterns.length; i++) {
            patterns[i] = (short) i;
        }
        byte[] data = Crafted.shorts(patterns);
        byte[] both = new byte[2 * data.length];
        System.arraycopy(data, 0, both, 0, data.length);
        System.arraycopy(data, 0, both, data.length, data.length);
        Path path = Crafted.file(dir.resolve("halves.safetensors"),
                "{\"h\":{\"dtype\":\"F16\",\"shape\":[65536],\"data_offsets\":[0,131072]},"
                        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[65536],\"data_offsets\":[131072,262144]}}", both);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            for (String name : List.of("h", "b")) {
                float[] nd4j = file.load(name).castTo(DataType.FLOAT).toFloatVector();
                float[] ours = file.load(name, DataType.FLOAT).toFloatVector();
                for (int i = 0; i < ours.length; i++) {
                    float expected = name.equals("h") ? HalfPrecision.halfToFloat(patterns[i])
                            : HalfPrecision.bfloat16ToFloat(patterns[i]);
                    assertEquals(expected, ours[i], name + " " + Integer.toHexString(i));
                    if (!Float.isNaN(expected)) {
                        assertEquals(expected, nd4j[i], name + " " + Integer.toHexString(i));
                    }
                }
                // And back: FLOAT -> F16/BF16 conversion on load restores the patterns of all non-NaNs.
                INDArray narrowed = file.load(name, name.equals("h") ? DataType.FLOAT16 : DataType.BFLOAT16);
                ByteBuffer raw = file.raw(name);
                INDArray direct = file.load(name);
                assertEquals(raw.capacity(), 131072);
                assertSameArray(direct, narrowed);
            }
        }
    }

    /** Every dtype converts to every other, following Java's casts. */
    @Test
    void convertsBetweenAllDtypes() {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (DType from : DType.values()) {
            tensors.put(from.name(), sample(from, 2, 3));
        }
        Path path = dir.resolve("all.safetensors");
        SafetensorsWriter.write(path, tensors);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            for (DType from : DType.values()) {
                double[] source = flat(tensors.get(from.name()));
                for (DType to : DType.values()) {
                    INDArray loaded = file.load(from.name(), to.nd4j());
                    assertEquals(to.nd4j(), loaded.dataType());
                    assertArrayEquals(new long[] {2, 3}, loaded.shape());
                    double[] actual = flat(loaded);
                    for (int i = 0; i < source.length; i++) {
                        assertEquals(cast(source[i], to), actual[i], from + " -> " + to + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void narrowsLikeJavaCasts() {
        ByteBuffer data = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0x1_0000_0005L).putLong(-1).putFloat(-2.7f).putFloat(200f).putDouble(1 + 0x1p-11 + 0x1p-40);
        Path path = Crafted.file(dir.resolve("narrow.safetensors"),
                "{\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                        + "\"f\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]},"
                        + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[24,32]}}", data.array());
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertArrayEquals(new int[] {5, -1}, file.load("i", DataType.INT32).toIntVector());
            assertArrayEquals(new int[] {-2, 200}, file.load("f", DataType.INT32).toIntVector());
            assertEquals(200, file.load("f", DataType.UINT8).getInt(1));
            // Rounded once, not via float: just above a tie, so up.
            assertEquals(HalfPrecision.halfToFloat((short) 0x3C01), file.load("d", DataType.FLOAT16).getFloat(0));
        }
    }

    @Test
    void anyNonZeroBoolByteIsTrue() {
        Path path = Crafted.file(dir.resolve("bool.safetensors"),
                "{\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[] {0, 1, 2});
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertArrayEquals(new double[] {0, 1, 1}, flat(file.load("b")));
            assertArrayEquals(new int[] {0, 1, 1}, file.load("b", DataType.INT32).toIntVector());
        }
    }

    @Test
    void loadsIntoDenseViewsAndStridedArrays() {
        Path path = Crafted.file(dir.resolve("m.safetensors"),
                "{\"m\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", Crafted.floats(1, 2, 3, 4));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            INDArray whole = Nd4j.zeros(DataType.FLOAT, 2, 2);
            file.loadInto("m", whole);
            assertArrayEquals(new float[] {1, 2, 3, 4}, whole.reshape(4).toFloatVector());

            INDArray rows = Nd4j.zeros(DataType.FLOAT, 4, 2); // rows 1..2 are a dense view
            file.loadInto("m", rows.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all()));
            assertArrayEquals(new float[] {0, 0, 1, 2, 3, 4, 0, 0}, rows.reshape(8).toFloatVector());

            INDArray columns = Nd4j.zeros(DataType.FLOAT, 2, 4); // columns 1..2 are strided
            file.loadInto("m", columns.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3)));
            assertArrayEquals(new float[] {0, 1, 2, 0, 0, 3, 4, 0}, columns.reshape(8).toFloatVector());

            INDArray fOrder = Nd4j.create(DataType.DOUBLE, new long[] {2, 2}, 'f');
            file.loadInto("m", fOrder);
            assertEquals(2.0, fOrder.getDouble(0, 1));

            INDArray half = Nd4j.zeros(DataType.FLOAT16, 2, 2);
            file.loadInto("m", half);
            assertEquals(4f, half.getFloat(1, 1));
        }
    }

    @Test
    void loadIntoRejectsAnotherShape() {
        Path path = Crafted.file(dir.resolve("m.safetensors"),
                "{\"m\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", Crafted.floats(1, 2, 3, 4));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> file.loadInto("m", Nd4j.zeros(DataType.FLOAT, 4)));
            assertEquals(path + ": tensor 'm' has shape [2, 2], but the destination has shape [4]", e.getMessage());
            assertThrows(SafetensorsException.class, () -> file.loadInto("m", Nd4j.zeros(DataType.FLOAT, 1, 2, 2)));
        }
    }

    @Test
    void rawIsAReadOnlyLittleEndianSlice() {
        Path path = Crafted.file(dir.resolve("m.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", Crafted.floats(1, 2, 3));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            ByteBuffer raw = file.raw("b");
            assertTrue(raw.isReadOnly());
            assertEquals(ByteOrder.LITTLE_ENDIAN, raw.order());
            assertEquals(8, raw.remaining());
            assertEquals(2f, raw.getFloat(0));
            assertEquals(3f, raw.getFloat(4));
        }
    }

    /** Tiny regions force the splitting a multi-gigabyte file gets: whole tensors per region, pieces for big ones. */
    @Test
    void splitsTheMappingOnTensorBoundaries() {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("a", Nd4j.createFromArray(1f, 2f)); // 8 bytes
        tensors.put("b", Nd4j.createFromArray(3f, 4f, 5f, 6f)); // 16: a new region
        tensors.put("empty", Nd4j.create(DataType.FLOAT, 0));
        tensors.put("big", Nd4j.arange(0, 11).castTo(DataType.FLOAT)); // 44: three pieces
        tensors.put("c", Nd4j.createFromArray(7.0)); // 8
        Path path = dir.resolve("split.safetensors");
        SafetensorsWriter.write(path, tensors);
        try (SafetensorsFile file = SafetensorsFile.open(path, 20)) {
            tensors.forEach((name, array) -> assertSameArray(array, file.load(name)));
            INDArray half = file.load("big", DataType.FLOAT16);
            assertEquals(10f, half.getFloat(10));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> file.raw("big"));
            assertTrue(e.getMessage().contains("'big' is 44 bytes"), e.getMessage());
            assertEquals(16, file.raw("b").remaining());
        }
    }

    /** Rows of the first dimension, across the pieces of a split mapping, converted like a whole load. */
    @Test
    void loadsARangeOfRows() {
        INDArray big = Nd4j.arange(0, 24).castTo(DataType.FLOAT).reshape(6, 2, 2);   // 96 bytes: five 20-byte pieces
        Path path = dir.resolve("rows.safetensors");
        SafetensorsWriter.write(path, Map.of("big", big));
        try (SafetensorsFile file = SafetensorsFile.open(path, 20)) {
            for (int[] range : new int[][] {{0, 6}, {1, 4}, {5, 6}, {2, 2}}) {
                INDArray rows = file.loadRows("big", DataType.DOUBLE, range[0], range[1]);
                assertArrayEquals(new long[] {range[1] - range[0], 2, 2}, rows.shape());
                for (int r = range[0]; r < range[1]; r++) {
                    assertEquals(big.slice(r).castTo(DataType.DOUBLE), rows.slice(r - range[0]));
                }
            }
            assertThrows(IllegalArgumentException.class, () -> file.loadRows("big", DataType.FLOAT, 4, 7));
            assertThrows(IllegalArgumentException.class, () -> file.loadRows("big", DataType.FLOAT, 3, 2));
        }
    }

    @Test
    void acceptsAnyJsonOrderAndTrailingWhitespace() {
        Path path = Crafted.file(dir.resolve("order.safetensors"),
                "{\"second\":{\"data_offsets\":[4,8],\"shape\":[1],\"dtype\":\"F32\"},"
                        + "\"first\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}  \n\t ",
                Crafted.floats(1, 2));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertEquals(List.of("first", "second"), file.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(2f, file.load("second").getFloat(0));
        }
    }

    @Test
    void opensAFileWithNoTensors() {
        Path path = Crafted.file(dir.resolve("empty.safetensors"), "{\"__metadata__\":{\"k\":\"v\"}}", new byte[0]);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertEquals(List.of(), file.tensors());
            assertEquals(Map.of("k", "v"), file.metadata());
        }
    }

    @Test
    void namesAMissingTensor() {
        Path path = Crafted.file(dir.resolve("one.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Crafted.floats(1));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertFalse(file.contains("b"));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> file.load("b"));
            assertEquals(path + ": no tensor 'b' (the file has 1 tensors)", e.getMessage());
        }
    }

    @Test
    void refusesToLoadOnceClosed() {
        Path path = Crafted.file(dir.resolve("one.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Crafted.floats(1));
        SafetensorsFile file = SafetensorsFile.open(path);
        INDArray loaded = file.load("a");
        ByteBuffer raw = file.raw("a");
        file.close();
        assertThrows(IllegalStateException.class, () -> file.load("a"));
        assertThrows(IllegalStateException.class, () -> file.raw("a"));
        assertThrows(IllegalStateException.class, () -> file.loadInto("a", Nd4j.zeros(DataType.FLOAT, 1)));
        assertEquals(DType.F32, file.info("a").dtype());
        assertEquals(1f, loaded.getFloat(0));
        assertEquals(1f, raw.getFloat(0));
    }

    @Test
    @SuppressWarnings("try") // the workspace is only entered and left
    void loadsOutsideTheCallersWorkspace() {
        Path path = Crafted.file(dir.resolve("one.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Crafted.floats(1));
        INDArray loaded;
        try (SafetensorsFile file = SafetensorsFile.open(path);
                MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace("safetensors-test")) {
            loaded = file.load("a");
        }
        assertFalse(loaded.isAttached());
        assertEquals(1f, loaded.getFloat(0));
    }

    @Test
    void rejectsTargetTypesWithoutADtype() {
        Path path = Crafted.file(dir.resolve("one.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Crafted.floats(1));
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThrows(IllegalArgumentException.class, () -> file.load("a", DataType.UINT32));
        }
    }

    /** The value {@code x} (exact in double) after conversion to {@code to}, by Java's casts. */
    private static double cast(double x, DType to) {
        return switch (to) {
            case F64, F32, F16, BF16 -> x;
            case I64 -> (long) x;
            case I32 -> (int) x;
            case I16 -> (short) x;
            case I8 -> (byte) x;
            case U8 -> ((byte) x) & 0xFF;
            case BOOL -> x != 0 ? 1 : 0;
        };
    }
}
