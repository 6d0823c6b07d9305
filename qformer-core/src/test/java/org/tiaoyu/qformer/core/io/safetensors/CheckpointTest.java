package org.tiaoyu.qformer.core.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.Fixtures;

class CheckpointTest {

    private static final String SHARD_1 = "model-00001-of-00002.safetensors";
    private static final String SHARD_2 = "model-00002-of-00002.safetensors";

    @TempDir
    Path dir;

    @Test
    void opensAModelDirectoryWithOneFile() {
        Path model = Fixtures.path("hf/public/model");
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            assertEquals(List.of(model.resolve("model.safetensors")), checkpoint.files());
            assertEquals(123, checkpoint.names().size());
            assertArrayEquals(new long[] {1, 4, 48}, checkpoint.info("query_tokens").shape());
            INDArray tokens = Nd4j.zeros(DataType.FLOAT, 1, 4, 48);
            checkpoint.loadInto("query_tokens", tokens);
            assertEquals(-0.5945749f, tokens.getFloat(0, 0, 0));
            assertEquals(DataType.FLOAT16, checkpoint.load("query_tokens", DataType.FLOAT16).dataType());
        }
    }

    @Test
    void opensASingleFile() {
        Path file = Fixtures.path("stage1/stage1_model/model.safetensors");
        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertEquals(0, checkpoint.load("temp").rank());
            assertEquals(List.of(file), checkpoint.files());
        }
    }

    @Test
    void opensShardsThroughTheIndex() throws IOException {
        writeShards();
        writeIndex("{\"metadata\":{\"total_size\":20},\"weight_map\":{\"a\":\"" + SHARD_1 + "\",\"b\":\"" + SHARD_1
                + "\",\"c\":\"" + SHARD_2 + "\"}}");
        for (Path target : List.of(dir, dir.resolve(Checkpoint.INDEX_FILE))) {
            try (Checkpoint checkpoint = Checkpoint.open(target)) {
                assertEquals(List.of(dir.resolve(SHARD_1), dir.resolve(SHARD_2)), checkpoint.files());
                assertEquals(Set.of("a", "b", "c"), checkpoint.names());
                assertTrue(checkpoint.contains("c"));
                assertFalse(checkpoint.contains("d"));
                assertEquals(3f, checkpoint.load("b").getFloat(0));
                assertArrayEquals(new double[] {5, 6}, checkpoint.load("c", DataType.DOUBLE).toDoubleVector());
                SafetensorsException e = assertThrows(SafetensorsException.class, () -> checkpoint.info("d"));
                assertEquals(dir.resolve(Checkpoint.INDEX_FILE) + ": no tensor 'd' in this checkpoint",
                        e.getMessage());
            }
        }
    }

    @Test
    void prefersTheSingleFileLikeHuggingFace() throws IOException {
        writeShards();
        writeIndex("not even JSON");
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), Map.of("single", Nd4j.createFromArray(1f)));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(Set.of("single"), checkpoint.names());
        }
    }

    @Test
    void rejectsADirectoryWithoutWeights() {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertEquals(dir + ": no model.safetensors or model.safetensors.index.json in this directory", e.getMessage());
        Path missing = dir.resolve("missing.safetensors");
        assertEquals(missing + ": no such file",
                assertThrows(SafetensorsException.class, () -> Checkpoint.open(missing)).getMessage());
    }

    @Test
    void rejectsAMissingShard() throws IOException {
        writeShards();
        Files.delete(dir.resolve(SHARD_2));
        writeIndex("{\"weight_map\":{\"a\":\"" + SHARD_1 + "\",\"b\":\"" + SHARD_1 + "\",\"c\":\"" + SHARD_2 + "\"}}");
        rejects("weight_map names shard '" + SHARD_2 + "' (for tensor 'c'), which does not exist in " + dir);
    }

    @Test
    void rejectsAShardNameOutsideTheDirectory() throws IOException {
        writeShards();
        for (String shard : List.of("../" + SHARD_1, "/etc/passwd", "", "..", "sub/" + SHARD_1)) {
            writeIndex("{\"weight_map\":{\"a\":\"" + shard + "\"}}");
            rejects("which is not a file name in the index's directory");
        }
    }

    @Test
    void rejectsATensorInTwoShards() throws IOException {
        writeShards();
        SafetensorsWriter.write(dir.resolve(SHARD_2),
                Map.of("c", Nd4j.createFromArray(5f), "a", Nd4j.createFromArray(9f)));
        writeIndex("{\"weight_map\":{\"a\":\"" + SHARD_1 + "\",\"b\":\"" + SHARD_1 + "\",\"c\":\"" + SHARD_2 + "\"}}");
        rejects("tensor 'a' is in two shards, " + SHARD_1 + " and " + SHARD_2);
    }

    @Test
    void rejectsAnIndexThatDisagreesWithTheShards() throws IOException {
        writeShards();
        writeIndex("{\"weight_map\":{\"a\":\"" + SHARD_2 + "\",\"b\":\"" + SHARD_1 + "\",\"c\":\"" + SHARD_2 + "\"}}");
        rejects("weight_map puts tensor 'a' in '" + SHARD_2 + "', but it is in " + SHARD_1);
        writeIndex("{\"weight_map\":{\"a\":\"" + SHARD_1 + "\",\"z\":\"" + SHARD_2 + "\"}}");
        rejects("weight_map puts tensor 'z' in '" + SHARD_2 + "', but that shard does not hold it");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not JSON", "{\"weight_map\":{\"a\":\"x\"", "{\"weight_map\":{},\"weight_map\":{}}"})
    void rejectsAnIndexThatIsNotJson(String index) throws IOException {
        writeIndex(index);
        rejects("index is not valid JSON: ");
    }

    @Test
    void rejectsAnIndexOfTheWrongShape() throws IOException {
        writeIndex("[]");
        rejects("index must be a JSON object, not an array");
        writeIndex("{\"metadata\":{}}");
        rejects("index needs a \"weight_map\" object of tensor name to shard file, not nothing");
        writeIndex("{\"weight_map\":{\"a\":1}}");
        rejects("weight_map entry 'a' must be a shard file name, not a number");
        Files.write(dir.resolve(Checkpoint.INDEX_FILE), new byte[] {'{', (byte) 0xFF, '}'});
        rejects("index is not valid UTF-8");
    }

    @Test
    void reportsABrokenShardByItsOwnPath() throws IOException {
        writeShards();
        Files.write(dir.resolve(SHARD_2), new byte[3]);
        writeIndex("{\"weight_map\":{\"a\":\"" + SHARD_1 + "\",\"b\":\"" + SHARD_1 + "\",\"c\":\"" + SHARD_2 + "\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve(SHARD_2) + ": file is 3 bytes"), e.getMessage());
    }

    /** Shard 1 holds a and b, shard 2 holds c. */
    private void writeShards() {
        Map<String, INDArray> first = new LinkedHashMap<>();
        first.put("a", Nd4j.createFromArray(1f, 2f));
        first.put("b", Nd4j.createFromArray(3f));
        SafetensorsWriter.write(dir.resolve(SHARD_1), first);
        SafetensorsWriter.write(dir.resolve(SHARD_2), Map.of("c", Nd4j.createFromArray(5f, 6f)));
    }

    private void writeIndex(String json) throws IOException {
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), json);
    }

    private void rejects(String part) {
        Path index = dir.resolve(Checkpoint.INDEX_FILE);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir).close());
        assertTrue(e.getMessage().startsWith(index + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(part), () -> "expected '" + part + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
