package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/** {@code qformer preprocess}: HF's pixel values for the e2e images, and the bad-input policy. */
class PreprocessCommandTest {

    private static final Path E2E = Fixtures.path("e2e");

    @TempDir
    Path dir;

    private int run(StringWriter err, String... args) {
        return QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
    }

    @Test
    void writesHfPixelValuesInImageOrder() {
        Path out = dir.resolve("pixel_values.safetensors");
        List<String> keys = List.of("photo_640x427", "rgba_200x300", "gray_257x129");
        StringWriter err = new StringWriter();
        int status = run(err, "preprocess", "--size", "48", E2E.resolve("images/photo_640x427.jpg").toString(),
                E2E.resolve("images/rgba_200x300.png").toString(), E2E.resolve("images/gray_257x129.png").toString(),
                "--out", out.toString());
        assertEquals(0, status, err.toString());
        try (var ours = SafetensorsFile.open(out);
                var ref = SafetensorsFile.open(E2E.resolve("e2e_pixel_values.safetensors"))) {
            assertEquals(List.of("pixel_values"), ours.tensors().stream().map(t -> t.name()).toList());
            INDArray actual = ours.load("pixel_values");
            assertEquals(DataType.FLOAT, actual.dataType());
            assertArrayEquals(new long[] {3, 3, 48, 48}, actual.shape());
            for (int i = 0; i < keys.size(); i++) {
                INDArray row = actual.get(NDArrayIndex.interval(i, i + 1));
                double diff = row.sub(ref.load(keys.get(i))).amaxNumber().doubleValue();
                assertEquals(0.0, diff, 1e-6, keys.get(i));
            }
        }
    }

    /**
     * More images than one batch (16) are written batch by batch; the write sweeps the temporary file a killed run
     * left, and the replaced output keeps its permissions.
     */
    @Test
    void writesManyImagesBatchByBatchAndLeavesNothingBehind() throws IOException {
        Path out = Files.writeString(dir.resolve("pixels.safetensors"), "old");
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r-----"));
        Files.writeString(dir.resolve(".pixels.safetensors.2147483646-7f.tmp"), "half");   // its process is gone
        List<String> args = new ArrayList<>(List.of("preprocess", "--size", "32", "--out", out.toString()));
        List<String> two = List.of(E2E.resolve("images/gray_257x129.png").toString(),
                E2E.resolve("images/rgba_200x300.png").toString());
        for (int i = 0; i < 20; i++) {
            args.add(two.get(i % 2));
        }
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, args.toArray(String[]::new)), err.toString());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList());
        }
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        try (var ours = SafetensorsFile.open(out)) {
            INDArray all = ours.load("pixel_values");
            assertArrayEquals(new long[] {20, 3, 32, 32}, all.shape());
            for (int i = 2; i < 20; i++) {
                assertEquals(all.slice(i % 2), all.slice(i), "image " + i);
            }
        }
    }

    @Test
    void modelDirectoryGivesTheSize() {
        Path out = dir.resolve("out.safetensors");
        StringWriter err = new StringWriter();
        int status = run(err, "preprocess", "--model", E2E.resolve("caption_model").toString(),
                E2E.resolve("images/gray_257x129.png").toString(), "--out", out.toString());
        assertEquals(0, status, err.toString());
        try (var ours = SafetensorsFile.open(out)) {
            assertArrayEquals(new long[] {1, 3, 48, 48}, ours.info("pixel_values").shape());
        }
    }

    @Test
    void badInputIsOneLineErrorAndWritesNothing() throws Exception {
        Path good = E2E.resolve("images/rgba_200x300.png");
        Path empty = Files.createFile(dir.resolve("empty.png"));
        Path text = Files.writeString(dir.resolve("notes.png"), "not an image\n");
        byte[] png = Files.readAllBytes(good);
        Path truncated = Files.write(dir.resolve("truncated.png"), java.util.Arrays.copyOf(png, png.length / 3));
        Path folder = Files.createDirectory(dir.resolve("folder.png"));
        Path out = dir.resolve("out.safetensors");
        String[][] cases = {
            {empty.toString(), "error: " + empty + ": empty file"},
            {text.toString(), "error: " + text + ": not an image"},
            {truncated.toString(), "error: " + truncated + ": cannot decode image"},
            {folder.toString(), "error: " + folder + ": is a directory"},
            {dir.resolve("missing.jpg").toString(), "error: " + dir.resolve("missing.jpg") + ": no such file"},
        };
        for (String[] c : cases) {
            StringWriter err = new StringWriter();
            int status = run(err, "preprocess", "--size", "32", good.toString(), c[0], "--out", out.toString());
            assertEquals(2, status, err.toString());
            List<String> lines = err.toString().lines().toList();
            assertEquals(1, lines.size(), err.toString());
            assertTrue(lines.get(0).startsWith(c[1]), lines.get(0));
            assertFalse(Files.exists(out), c[0]);
        }
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "preprocess", good.toString(), "--out", out.toString()));
        assertTrue(err.toString().startsWith("error: give --size, --model, or both"), err.toString());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().startsWith(".")).toList(),
                    "no temporary files left");
        }
    }
}
