package org.tiaoyu.qformer.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tiaoyu.qformer.core.Fixtures.path;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.BadInputException;

/** Every config.json under the fixtures, as transformers 5.18 saved them. */
class ModelConfigTest {

    @Test
    void hfPublicOptModel() {
        Blip2Config c = Blip2Config.read(path("hf/public/model"));
        assertEquals(List.of("Blip2ForConditionalGeneration"), c.architectures());
        assertEquals(4, c.numQueryTokens());
        assertEquals(OptionalInt.of(99), c.imageTokenIndex());
        assertEquals(16, c.imageTextHiddenSize());
        assertTrue(c.useDecoderOnlyLanguageModel());

        VisionConfig v = c.vision();
        assertEquals(new VisionConfig(32, 64, 2, 4, 32, 8, 1e-6, Activation.GELU, true, 0.0, 3), v);
        assertEquals(16, v.numPatches());
        assertEquals(8, v.headDim());

        QFormerConfig q = c.qformer();
        assertEquals(new QFormerConfig(120, 48, 2, 4, 64, Activation.GELU, 0.0, 0.0, 64, 0.02, 1e-12, 0, 1, 32,
                false), q);
        assertTrue(q.hasCrossAttention(0));
        assertTrue(q.hasCrossAttention(1));

        OptConfig t = assertInstanceOf(OptConfig.class, c.text());
        assertEquals(new OptConfig(100, 32, 2, 64, 4, 64, true, 32, Activation.RELU, 0.0, 0.0, true, true, false,
                1, 2, 2, true), t);
        assertEquals(32, t.inputEmbeddingSize());
    }

    @Test
    void hfPublicOptRetrievalModel() {
        Blip2Config c = Blip2Config.read(path("hf/public/retrieval_model"));
        assertEquals(List.of("Blip2ForImageTextRetrieval"), c.architectures());
        assertEquals(OptionalInt.empty(), c.imageTokenIndex());
        assertTrue(c.qformer().useQformerTextInput());
        assertEquals(48, c.qformer().hiddenSize());
        assertEquals(16, c.imageTextHiddenSize());
        // HF keeps a text config for retrieval models too.
        assertInstanceOf(OptConfig.class, c.text());
    }

    @Test
    void hfPublicT5Model() {
        Blip2Config c = Blip2Config.read(path("hf/public_t5/model"));
        assertFalse(c.useDecoderOnlyLanguageModel());
        assertEquals(OptionalInt.of(99), c.imageTokenIndex());
        assertEquals(2, c.qformer().crossAttentionFrequency());
        assertTrue(c.qformer().hasCrossAttention(0));
        assertFalse(c.qformer().hasCrossAttention(1));
        assertEquals(32, c.qformer().hiddenSize());

        T5Config t = assertInstanceOf(T5Config.class, c.text());
        assertEquals(new T5Config(100, 48, 12, 64, 2, 2, 4, 8, 16, 0.0, 1e-6,
                new T5Config.FeedForwardProj(true, Activation.GELU_NEW), false, false, 0, 1, 0), t);
        assertTrue(t.isGatedAct());
        assertEquals(Activation.GELU_NEW, t.denseActFn());
        assertEquals(48, t.innerDim());
        assertEquals(48, t.inputEmbeddingSize());
    }

    @Test
    void hfPublicT5RetrievalModelKeepsExplicitScaleFlag() {
        Blip2Config c = Blip2Config.read(path("hf/public_t5/retrieval_model"));
        T5Config t = assertInstanceOf(T5Config.class, c.text());
        assertTrue(t.tieWordEmbeddings());
        assertFalse(t.scaleDecoderOutputs(), "scale_decoder_outputs: false wins over tie_word_embeddings");
        assertTrue(c.qformer().useQformerTextInput());
        assertEquals(OptionalInt.empty(), c.imageTokenIndex());
    }

    @Test
    void hfClipVisionModel() {
        ModelConfig c = ModelConfig.read(path("hf/clip_vision/model"));
        ClipVisionConfig clip = assertInstanceOf(ClipVisionConfig.class, c);
        assertEquals(new ClipVisionConfig(32, 64, 3, 4, 3, 32, 8, 1e-5, Activation.QUICK_GELU, 0.0, 512), clip);
        assertEquals(16, clip.numPatches());
    }

    @Test
    void e2eCaptionModel() {
        Blip2Config c = Blip2Config.read(path("e2e/caption_model"));
        assertEquals(8, c.numQueryTokens());
        assertEquals(OptionalInt.of(50260), c.imageTokenIndex());
        assertEquals(48, c.vision().imageSize());
        assertEquals(36, c.vision().numPatches());
        assertEquals(30522, c.qformer().vocabSize());
        OptConfig t = assertInstanceOf(OptConfig.class, c.text());
        assertEquals(50264, t.vocabSize());
        assertEquals(202, t.eosTokenId(), "the newline token ends a caption, as in the hub's blip2-opt configs");
        assertEquals(2, t.bosTokenId());
    }

    @Test
    void e2eRetrievalModel() {
        Blip2Config c = Blip2Config.read(path("e2e/retrieval_model"));
        assertEquals(List.of("Blip2ForImageTextRetrieval"), c.architectures());
        assertEquals(30528, c.qformer().vocabSize(), "BERT's 30522 plus [DEC] and the other added tokens");
        assertTrue(c.qformer().useQformerTextInput());
        OptConfig t = assertInstanceOf(OptConfig.class, c.text());
        assertEquals(16, t.hiddenSize());
        assertEquals(0.1, t.dropout());
    }

    @Test
    void stage1Model() {
        Blip2Config c = Blip2Config.read(path("stage1/stage1_model"));
        assertEquals(Blip2Config.read(path("hf/public/retrieval_model")), c,
                "a stage-1 checkpoint has the retrieval model's config");
    }

    @Test
    void readsTheFileAsWellAsTheDirectory() {
        assertEquals(ModelConfig.read(path("hf/public/model")),
                ModelConfig.read(path("hf/public/model/config.json")));
    }

    @Test
    void blip2ReadRejectsAVisionOnlyDirectory() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> Blip2Config.read(path("hf/clip_vision/model")));
        assertTrue(e.getMessage().startsWith(path("hf/clip_vision/model/config.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a BLIP-2 model (model_type clip_vision_model"), e.getMessage());
    }
}
