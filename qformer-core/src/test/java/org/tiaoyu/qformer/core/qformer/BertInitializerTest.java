package org.tiaoyu.qformer.core.qformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;

class BertInitializerTest {

    @TempDir
    Path dir;

    private static final int HIDDEN = 8;
    private static final int FFN = 16;
    private static final int BERT_VOCAB = 20;

    /** A BERT checkpoint in HF's layout (2 layers, old gamma/beta LayerNorm names), with unused extras. */
    private Path bert() {
        Map<String, INDArray> t = new LinkedHashMap<>();
        Nd4j.getRandom().setSeed(3);
        t.put("bert.embeddings.word_embeddings.weight", Nd4j.rand(DataType.FLOAT, BERT_VOCAB, HIDDEN));
        t.put("bert.embeddings.position_embeddings.weight", Nd4j.rand(DataType.FLOAT, 512, HIDDEN));
        t.put("bert.embeddings.token_type_embeddings.weight", Nd4j.rand(DataType.FLOAT, 2, HIDDEN));
        t.put("bert.embeddings.LayerNorm.gamma", Nd4j.rand(DataType.FLOAT, HIDDEN));
        t.put("bert.embeddings.LayerNorm.beta", Nd4j.rand(DataType.FLOAT, HIDDEN));
        for (int i = 0; i < 2; i++) {
            String p = "bert.encoder.layer." + i + ".";
            for (String m : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                t.put(p + m + ".weight", Nd4j.rand(DataType.FLOAT, HIDDEN, HIDDEN));
                t.put(p + m + ".bias", Nd4j.rand(DataType.FLOAT, HIDDEN));
            }
            t.put(p + "attention.output.LayerNorm.gamma", Nd4j.rand(DataType.FLOAT, HIDDEN));
            t.put(p + "attention.output.LayerNorm.beta", Nd4j.rand(DataType.FLOAT, HIDDEN));
            t.put(p + "intermediate.dense.weight", Nd4j.rand(DataType.FLOAT, FFN, HIDDEN));
            t.put(p + "intermediate.dense.bias", Nd4j.rand(DataType.FLOAT, FFN));
            t.put(p + "output.dense.weight", Nd4j.rand(DataType.FLOAT, HIDDEN, FFN));
            t.put(p + "output.dense.bias", Nd4j.rand(DataType.FLOAT, HIDDEN));
            t.put(p + "output.LayerNorm.gamma", Nd4j.rand(DataType.FLOAT, HIDDEN));
            t.put(p + "output.LayerNorm.beta", Nd4j.rand(DataType.FLOAT, HIDDEN));
        }
        t.put("bert.pooler.dense.weight", Nd4j.rand(DataType.FLOAT, HIDDEN, HIDDEN));
        t.put("cls.predictions.transform.dense.weight", Nd4j.rand(DataType.FLOAT, HIDDEN, HIDDEN));
        t.put("cls.predictions.transform.dense.bias", Nd4j.rand(DataType.FLOAT, HIDDEN));
        t.put("cls.predictions.transform.LayerNorm.gamma", Nd4j.rand(DataType.FLOAT, HIDDEN));
        t.put("cls.predictions.transform.LayerNorm.beta", Nd4j.rand(DataType.FLOAT, HIDDEN));
        t.put("cls.predictions.bias", Nd4j.rand(DataType.FLOAT, BERT_VOCAB));
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, t, Map.of());
        return file;
    }

    private static ImageTextQFormer qformer(int vocab) {
        // BERT's vocabulary + [DEC], as LAVIS's resize_token_embeddings; cross-attention in layer 0 only.
        var model = new ImageTextQFormer(Blip2Config.forQFormer(QFormerConfig.bert(vocab, HIDDEN, 2, 2, FFN, 2, 6),
                3, 4), DataType.FLOAT);
        model.initialize(new Rng(1));
        return model;
    }

    @Test
    void copiesBertAndTheTextFeedForwardIntoTheQueryFeedForward() {
        var model = qformer(BERT_VOCAB + 1);
        INDArray crossBefore = model.qformer.encoder.layer.get(0).crossattention.attention.key.weight.data().dup();
        INDArray decRowBefore = model.embeddings.wordEmbeddings.weight.data().getRow(BERT_VOCAB).dup();
        try (var bert = Checkpoint.open(bert())) {
            List<String> loaded = BertInitializer.load(model, bert);
            var layer = model.qformer.encoder.layer.get(1);
            INDArray bertFfn = bert.load("bert.encoder.layer.1.intermediate.dense.weight", DataType.FLOAT);
            assertEquals(bertFfn, layer.intermediate.dense.weight.data());
            assertEquals(bertFfn, layer.intermediateQuery.dense.weight.data());
            assertEquals(bert.load("bert.encoder.layer.1.output.LayerNorm.gamma", DataType.FLOAT),
                    layer.outputQuery.layerNorm.weight.data());
            assertEquals(bert.load("bert.encoder.layer.0.attention.self.key.bias", DataType.FLOAT),
                    model.qformer.encoder.layer.get(0).attention.attention.key.bias.data());
            assertEquals(bert.load("bert.embeddings.LayerNorm.beta", DataType.FLOAT),
                    model.qformer.layernorm.bias.data());
            assertEquals(bert.load("bert.embeddings.word_embeddings.weight", DataType.FLOAT),
                    model.embeddings.wordEmbeddings.weight.data().get(NDArrayIndex.interval(0, BERT_VOCAB)));
            assertEquals(decRowBefore, model.embeddings.wordEmbeddings.weight.data().getRow(BERT_VOCAB),
                    "the [DEC] row BERT lacks keeps its initialisation");
            assertEquals(crossBefore, model.qformer.encoder.layer.get(0).crossattention.attention.key.weight.data(),
                    "cross-attention is new");
            assertFalse(loaded.contains("query_tokens"));
            assertFalse(loaded.stream().anyMatch(n -> n.contains("crossattention")));
            assertTrue(loaded.contains("cls.predictions.transform.LayerNorm.weight"));
            assertNotEquals(0, loaded.size());
        }
    }

    @Test
    void aCheckpointOfAnotherWidthIsRefused() {
        var model = new ImageTextQFormer(Blip2Config.forQFormer(QFormerConfig.bert(BERT_VOCAB, 12, 2, 2, FFN, 2, 6),
                3, 4), DataType.FLOAT);
        try (var bert = Checkpoint.open(bert())) {
            var e = assertThrows(BadInputException.class, () -> BertInitializer.load(model, bert));
            assertTrue(e.getMessage().contains("has shape [20, 8] but embeddings.word_embeddings.weight is [20, 12]"),
                    e.getMessage());
        }
    }
}
