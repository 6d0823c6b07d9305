package org.tiaoyu.qformer.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class Blip2ConfigTest {

    private static Path hubConfig(String name) throws URISyntaxException {
        return Path.of(Blip2ConfigTest.class.getResource(name + "/config.json").toURI());
    }

    @Test
    void opt27bPresetIsTheHubConfig() throws Exception {
        assertEquals(Blip2Config.blip2Opt27b(), Blip2Config.read(hubConfig("blip2-opt-2.7b")));
    }

    @Test
    void flanT5XlPresetIsTheHubConfig() throws Exception {
        Blip2Config c = Blip2Config.read(hubConfig("blip2-flan-t5-xl"));
        assertEquals(Blip2Config.blip2FlanT5Xl(), c);
        // The file says dense_act_fn "gelu"; HF derives gelu_new from feed_forward_proj "gated-gelu".
        assertEquals(Activation.GELU_NEW, ((T5Config) c.text()).denseActFn());
    }

    @Test
    void presetsUseTheRealSizes() {
        Blip2Config c = Blip2Config.blip2Opt27b();
        assertEquals(1408, c.vision().hiddenSize());
        assertEquals(39, c.vision().numHiddenLayers());
        assertEquals(256, c.vision().numPatches());
        assertEquals(768, c.qformer().hiddenSize());
        assertEquals(1408, c.qformer().encoderHiddenSize());
        assertEquals(32, c.numQueryTokens());
        assertEquals(2560, c.text().inputEmbeddingSize());
        assertTrue(c.useDecoderOnlyLanguageModel());
        assertFalse(Blip2Config.blip2FlanT5Xl().useDecoderOnlyLanguageModel());
        assertEquals(2048, Blip2Config.blip2FlanT5Xl().text().inputEmbeddingSize());
    }

    @Test
    void encoderHiddenSizeIsDerivedFromTheVisionWidth() {
        VisionConfig vision = new VisionConfig(64, 128, 1, 4, 32, 8, 1e-6, Activation.GELU, true, 0.0, 3);
        QFormerConfig qformer = QFormerConfig.bertBase(); // says 1408
        Blip2Config c = new Blip2Config(vision, qformer, OptConfig.opt27b(), 8, OptionalInt.empty(), 256,
                List.of(), 0.02, 1.0);
        assertEquals(64, c.qformer().encoderHiddenSize());
        assertEquals(qformer.withEncoderHiddenSize(64), c.qformer());
    }

    @Test
    void architecturesAreCopied() {
        List<String> architectures = new java.util.ArrayList<>(List.of("Blip2ForConditionalGeneration"));
        Blip2Config c = new Blip2Config(VisionConfig.evaVitG(), QFormerConfig.bertBase(), OptConfig.opt27b(), 32,
                OptionalInt.empty(), 256, architectures, 0.02, 1.0);
        architectures.clear();
        assertEquals(List.of("Blip2ForConditionalGeneration"), c.architectures());
        assertThrows(UnsupportedOperationException.class, () -> c.architectures().add("x"));
    }

    @Test
    void imageTokenMustBeInTheLanguageModelVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Blip2Config(VisionConfig.evaVitG(), QFormerConfig.bertBase(), OptConfig.opt27b(), 32,
                        OptionalInt.of(50304), 256, List.of(), 0.02, 1.0));
        assertEquals("image_token_index 50304 is outside the vocabulary [0, 50304)", e.getMessage());
    }

    @Test
    void validationNamesTheFieldAndValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new QFormerConfig(30522, 768, 12, 5, 3072, Activation.GELU, 0.1, 0.1, 512, 0.02, 1e-12, 0, 2,
                        1408, false));
        assertEquals("hidden_size 768 is not divisible by num_attention_heads 5", e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> new VisionConfig(1408, 6144, 0, 16, 224, 14, 1e-6, Activation.GELU, true, 0.0, 3));
        assertEquals("num_hidden_layers must be positive, got 0", e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> new VisionConfig(1408, 6144, 39, 16, 224, 14, 0.0, Activation.GELU, true, 0.0, 3));
        assertEquals("layer_norm_eps must be positive and finite, got 0.0", e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> new ClipVisionConfig(32, 64, 1, 4, 3, 32, 8, 1e-5, Activation.QUICK_GELU, 1.0, 512));
        assertEquals("attention_dropout must be in [0, 1), got 1.0", e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> new ClipVisionConfig(32, 64, 1, 4, 3, 8, 16, 1e-5, Activation.QUICK_GELU, 0.0, 512));
        assertEquals("patch_size 16 is larger than image_size 8", e.getMessage());
    }
}
