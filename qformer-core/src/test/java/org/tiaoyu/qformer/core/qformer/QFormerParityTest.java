package org.tiaoyu.qformer.core.qformer;

import static org.tiaoyu.qformer.core.qformer.RetrievalParityTest.assertClose;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/**
 * The Q-Former of HF's {@code Blip2ForConditionalGeneration} fixtures reproduces every hidden state
 * ({@code qformer_hidden_states.0} = LayerNorm of the query tokens) from the reference vision output; and its
 * parameters are exactly the checkpoint's {@code qformer.*} tensors, both ways, with the same shapes.
 */
class QFormerParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"hf/public", "hf/public_t5"})
    void queryPassMatchesHuggingFace(String fixture) {
        Path dir = Fixtures.path(fixture);
        var model = QueryTransformer.load(dir.resolve("model"));
        try (var reference = SafetensorsFile.open(dir.resolve("reference.safetensors"));
                var noGrad = Grad.off()) {
            Tensor image = Tensor.constant(reference.load("vision_last_hidden_state", DataType.FLOAT));
            var out = model.forward(image);
            for (int i = 0; i < out.hiddenStates().size(); i++) {
                assertClose(reference.load("qformer_hidden_states." + i), out.hiddenStates().get(i).data(), 1e-4,
                        "qformer_hidden_states." + i);
            }
            assertClose(reference.load("qformer_last_hidden_state"), out.lastHiddenState().data(), 1e-4,
                    "qformer_last_hidden_state");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf/public/model", "hf/public_t5/model", "hf/public/retrieval_model"})
    void parameterNamesAndShapesAreTheCheckpointKeys(String fixture) {
        Path dir = Fixtures.path(fixture);
        var qformer = new QFormerModel(Blip2Config.read(dir).qformer(), DataType.FLOAT);
        try (var checkpoint = Checkpoint.open(dir)) {
            Set<String> inCheckpoint = new HashSet<>();
            checkpoint.names().stream().filter(n -> n.startsWith("qformer.")).forEach(inCheckpoint::add);
            Set<String> inModel = new HashSet<>();
            qformer.namedParameters().forEach((name, p) -> {
                inModel.add("qformer." + name);
                Assertions.assertArrayEquals(checkpoint.info("qformer." + name).shape(), p.shape(), name);
            });
            Assertions.assertEquals(inCheckpoint, inModel);
        }
    }
}
