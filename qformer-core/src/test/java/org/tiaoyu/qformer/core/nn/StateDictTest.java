package org.tiaoyu.qformer.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.core.qformer.QFormerAttention;

class StateDictTest {

    private static QFormerAttention block() {
        return new QFormerAttention(48, 48, 4, 1e-12, 0, 0, DataType.FLOAT);
    }

    @Test
    void loadsARealHuggingFaceBlockByItsKeys() {
        var block = block();
        try (var ckpt = Checkpoint.open(Fixtures.path("hf/public/model"))) {
            var report = StateDict.load(block, ckpt, "qformer.encoder.layer.0.attention.", true);
            assertTrue(report.isComplete());
            assertEquals(ckpt.load("qformer.encoder.layer.0.attention.output.LayerNorm.weight", DataType.FLOAT),
                    block.output.layerNorm.weight.data());
        }
    }

    @Test
    void saveThenLoadRoundTrips(@TempDir Path dir) {
        var a = block();
        a.namedParameters().values().forEach(p -> p.data().assign(Nd4j.rand(DataType.FLOAT, p.shape())));
        Path file = dir.resolve("block.safetensors");
        StateDict.save(a, "encoder.", file, Map.of("format", "pt"));
        var b = block();
        try (var ckpt = Checkpoint.open(file)) {
            assertTrue(StateDict.load(b, ckpt, "encoder.", true).isComplete());
        }
        a.namedParameters().forEach((name, p) -> assertEquals(p.data(), b.namedParameters().get(name).data(), name));
    }

    @Test
    void nonStrictReportsMissingAndUnexpectedByName(@TempDir Path dir) {
        Path file = dir.resolve("partial.safetensors");
        SafetensorsWriter.write(file, Map.of(
                "attention.query.weight", Nd4j.zeros(DataType.FLOAT, 48, 48),
                "attention.extra", Nd4j.zeros(DataType.FLOAT, 2)), Map.of());
        try (var ckpt = Checkpoint.open(file)) {
            var report = StateDict.load(block(), ckpt, "", false);
            assertFalse(report.isComplete());
            assertEquals(List.of("attention.extra"), report.unexpected());
            assertEquals(9, report.missing().size());
            assertTrue(report.missing().contains("output.LayerNorm.bias"));

            var e = assertThrows(BadInputException.class, () -> StateDict.load(block(), ckpt, "", true));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("9 missing (attention.query.bias"), e.getMessage());
            assertTrue(e.getMessage().contains("1 unexpected (attention.extra)"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void aShapeMismatchNamesTheKeyAndBothShapes(@TempDir Path dir) {
        Path file = dir.resolve("wrong.safetensors");
        SafetensorsWriter.write(file, Map.of("attention.query.weight", Nd4j.zeros(DataType.FLOAT, 48, 32)), Map.of());
        try (var ckpt = Checkpoint.open(file)) {
            var e = assertThrows(BadInputException.class, () -> StateDict.load(block(), ckpt, "", false));
            assertTrue(e.getMessage().contains("attention.query.weight has shape [48, 32] but the model expects [48, 48]"),
                    e.getMessage());
        }
    }

    @Test
    void halfPrecisionCheckpointsConvertToTheModelType(@TempDir Path dir) {
        var a = block();
        a.namedParameters().values().forEach(p -> p.data().assign(0.5));
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> half = new java.util.LinkedHashMap<>();
        a.namedParameters().forEach((name, p) -> half.put(name, p.data().castTo(DataType.BFLOAT16)));
        Path file = dir.resolve("bf16.safetensors");
        SafetensorsWriter.write(file, half, Map.of());
        var b = block();
        try (var ckpt = Checkpoint.open(file)) {
            StateDict.load(b, ckpt, "", true);
        }
        assertEquals(DataType.FLOAT, b.output.dense.weight.dataType());
        assertEquals(0.5, b.output.dense.weight.data().getDouble(3, 4), 0.0);
    }
}
