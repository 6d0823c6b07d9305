package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;

class InspectCommandTest {

    record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(status, out.toString(), err.toString());
    }

    @Test
    void showsTheConfigAndEveryTensorOfAFixture() {
        Result r = run("inspect", "--model", Fixtures.path("hf/public/model").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("config: Blip2Config\n"), r.out());
        assertTrue(r.out().contains("    crossAttentionFrequency: 1\n"), r.out());
        assertTrue(r.out().contains("tensors: 123 in 1 file, 383,488 bytes"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+query_tokens\\s+F32\\s+\\[1, 4, 48\\]\\s+768")),
                r.out());
    }

    @Test
    void readsAShardedDirectory(@TempDir Path dir) throws Exception {
        Map<String, INDArray> first = new LinkedHashMap<>();
        first.put("a.weight", Nd4j.zeros(DataType.FLOAT, 2, 3));
        Map<String, INDArray> second = new LinkedHashMap<>();
        second.put("b.bias", Nd4j.zeros(DataType.BFLOAT16, 5));
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of());
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of());
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 34}, "weight_map": {
                  "a.weight": "model-00001-of-00002.safetensors", "b.bias": "model-00002-of-00002.safetensors"}}""");
        Result r = run("inspect", "--model", dir.resolve("model.safetensors.index.json").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("tensors: 2 in 2 files, 34 bytes"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+b\\.bias\\s+BF16\\s+\\[5\\]\\s+10")), r.out());
    }

    @Test
    void aCorruptFileIsOneErrorLineAndStatus2(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("model.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        Result r = run("inspect", "--model", bad.toString());
        assertEquals(2, r.status());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("error: " + bad), lines.get(0));
        assertEquals("", r.out());
    }
}
