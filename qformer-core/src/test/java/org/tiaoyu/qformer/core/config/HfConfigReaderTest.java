package org.tiaoyu.qformer.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;

/** Defaults for absent fields, and every way a config.json can be wrong. */
class HfConfigReaderTest {

    @TempDir
    Path dir;

    private ModelConfig read(String json) {
        try {
            Files.writeString(dir.resolve("config.json"), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ModelConfig.read(dir);
    }

    /** Reads a config that must fail and checks the one-line message starts with the file's path. */
    private String error(String json) {
        BadInputException e = assertThrows(BadInputException.class, () -> read(json));
        assertMessageForFile(e, dir.resolve("config.json"));
        return e.getMessage();
    }

    private static void assertMessageForFile(BadInputException e, Path file) {
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), message);
        assertFalse(message.contains("\n"), message);
    }

    // --- defaults -------------------------------------------------------------------------------------------

    @Test
    void emptyBlip2ConfigTakesHfDefaults() {
        Blip2Config c = assertInstanceOf(Blip2Config.class, read("{\"model_type\": \"blip-2\"}"));
        assertEquals(VisionConfig.evaVitG(), c.vision());
        assertEquals(QFormerConfig.bertBase(), c.qformer());
        assertEquals(32, c.numQueryTokens());
        assertEquals(OptionalInt.empty(), c.imageTokenIndex());
        assertEquals(256, c.imageTextHiddenSize());
        assertEquals(List.of(), c.architectures());
        assertEquals(0.02, c.initializerRange());
        assertEquals(1.0, c.initializerFactor());
        // Without a text_config HF builds OPTConfig(), i.e. facebook/opt-125m.
        assertEquals(new OptConfig(50272, 768, 12, 3072, 12, 2048, true, 768, Activation.RELU, 0.1, 0.0, true, true,
                false, 1, 2, 2, true), c.text());
    }

    @Test
    void nullSubConfigsTakeDefaultsToo() {
        Blip2Config c = assertInstanceOf(Blip2Config.class, read("""
                {"model_type": "blip-2", "vision_config": null, "qformer_config": null, "text_config": null}"""));
        assertEquals(VisionConfig.evaVitG(), c.vision());
        assertInstanceOf(OptConfig.class, c.text());
    }

    @Test
    void optWordEmbedProjDimDefaultsToHiddenSize() {
        Blip2Config c = (Blip2Config) read("""
                {"model_type": "blip-2", "text_config": {"hidden_size": 64, "num_attention_heads": 4,
                 "word_embed_proj_dim": null}}""");
        assertEquals(64, ((OptConfig) c.text()).wordEmbedProjDim());
    }

    @Test
    void t5DefaultsAreT5Small() {
        Blip2Config c = (Blip2Config) read("""
                {"model_type": "blip-2", "text_config": {"model_type": "t5", "pad_token_id": 3}}""");
        assertEquals(new T5Config(32128, 512, 64, 2048, 6, 6, 8, 32, 128, 0.1, 1e-6,
                new T5Config.FeedForwardProj(false, Activation.RELU), true, true, 3, 1, 3), c.text());
        assertFalse(c.useDecoderOnlyLanguageModel());
    }

    @Test
    void t5ScaleDecoderOutputsFollowsTieWordEmbeddingsWhenAbsent() {
        Blip2Config c = (Blip2Config) read("""
                {"model_type": "blip-2", "text_config": {"model_type": "t5", "tie_word_embeddings": false}}""");
        assertFalse(((T5Config) c.text()).scaleDecoderOutputs());
    }

    @Test
    void encoderHiddenSizeInTheFileIsOverriddenByTheVisionWidth() {
        Blip2Config c = (Blip2Config) read("""
                {"model_type": "blip-2",
                 "vision_config": {"hidden_size": 32, "num_attention_heads": 4},
                 "qformer_config": {"encoder_hidden_size": 999}}""");
        assertEquals(32, c.qformer().encoderHiddenSize());
    }

    @Test
    void visionOnlyBlip2Directory() {
        assertEquals(VisionConfig.evaVitG(), read("{\"model_type\": \"blip_2_vision_model\"}"));
    }

    @Test
    void clipDefaultsAreClipVitBasePatch32() {
        assertEquals(new ClipVisionConfig(768, 3072, 12, 12, 3, 224, 32, 1e-5, Activation.QUICK_GELU, 0.0, 512),
                read("{\"model_type\": \"clip_vision_model\"}"));
    }

    @Test
    void modelTypeFallsBackToArchitectures() {
        assertInstanceOf(ClipVisionConfig.class, read("{\"architectures\": [\"CLIPVisionModel\"]}"));
        assertInstanceOf(VisionConfig.class, read("{\"architectures\": [\"Blip2VisionModel\"]}"));
        assertInstanceOf(Blip2Config.class, read("{\"architectures\": [\"Blip2ForImageTextRetrieval\"]}"));
    }

    @Test
    void unknownFieldsAreIgnored() {
        Blip2Config c = (Blip2Config) read("""
                {"model_type": "blip-2", "some_future_field": {"x": [1, 2]}, "dtype": "bfloat16",
                 "qformer_config": {"classifier_dropout": null, "hidden_size": 64, "num_attention_heads": 4}}""");
        assertEquals(64, c.qformer().hiddenSize());
    }

    // --- wrong types ----------------------------------------------------------------------------------------

    @Test
    void wrongTypeNamesTheFieldAndTheValue() {
        assertEquals(dir.resolve("config.json")
                        + ": qformer_config.hidden_size: expected an integer, got \"big\"",
                error("{\"model_type\": \"blip-2\", \"qformer_config\": {\"hidden_size\": \"big\"}}"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"vision_config\": {\"image_size\": 224.5}}")
                .endsWith("vision_config.image_size: expected an integer, got 224.5"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"num_query_tokens\": 1e12}")
                .endsWith("num_query_tokens: expected an integer, got 1.0E12"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"vision_config\": {\"qkv_bias\": \"yes\"}}")
                .endsWith("vision_config.qkv_bias: expected true or false, got \"yes\""));
        assertTrue(error("{\"model_type\": \"blip-2\", \"vision_config\": {\"layer_norm_eps\": \"1e-6\"}}")
                .endsWith("vision_config.layer_norm_eps: expected a number, got \"1e-6\""));
        assertTrue(error("{\"model_type\": \"blip-2\", \"text_config\": [1, 2]}")
                .endsWith("text_config: expected a JSON object, got [1,2]"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"architectures\": \"Blip2Model\"}")
                .endsWith("architectures: expected a list of strings, got \"Blip2Model\""));
        assertTrue(error("{\"model_type\": 7}").endsWith("model_type: expected a string, got 7"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"qformer_config\": {\"hidden_size\": null}}")
                .endsWith("qformer_config.hidden_size: expected an integer, got null"));
    }

    // --- invalid values -------------------------------------------------------------------------------------

    @Test
    void invalidValuesNameTheSectionAndField() {
        assertTrue(error("""
                {"model_type": "blip-2", "qformer_config": {"hidden_size": 50, "num_attention_heads": 4}}""")
                .endsWith(": qformer_config: hidden_size 50 is not divisible by num_attention_heads 4"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"vision_config\": {\"num_hidden_layers\": -1}}")
                .endsWith(": vision_config: num_hidden_layers must be positive, got -1"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"text_config\": {\"dropout\": 1.5}}")
                .endsWith(": text_config: dropout must be in [0, 1), got 1.5"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"num_query_tokens\": 0}")
                .endsWith(": num_query_tokens must be positive, got 0"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"image_token_index\": 50272}")
                .endsWith(": image_token_index 50272 is outside the vocabulary [0, 50272)"));
        assertTrue(error("{\"model_type\": \"clip_vision_model\", \"hidden_size\": 100}")
                .endsWith(": hidden_size 100 is not divisible by num_attention_heads 12"));
    }

    @Test
    void unsupportedNamesAreRejected() {
        assertTrue(error("{\"model_type\": \"blip-2\", \"vision_config\": {\"hidden_act\": \"gelu_fast\"}}")
                .endsWith("vision_config.hidden_act: unsupported activation \"gelu_fast\""
                        + " (supported: gelu, gelu_new, quick_gelu, relu, silu)"));
        assertTrue(error("""
                {"model_type": "blip-2", "qformer_config": {"position_embedding_type": "relative_key"}}""")
                .contains("qformer_config.position_embedding_type: \"relative_key\" is not supported"));
        assertTrue(error("""
                {"model_type": "blip-2", "text_config": {"model_type": "t5", "feed_forward_proj": "gated-gelu-x"}}""")
                .contains("text_config.feed_forward_proj: feed_forward_proj \"gated-gelu-x\" is not of the form"));
        assertTrue(error("{\"model_type\": \"blip-2\", \"text_config\": {\"model_type\": \"llama\"}}")
                .endsWith("text_config.model_type: unsupported language model \"llama\" (supported: opt, t5)"));
        assertTrue(error("{\"model_type\": \"llava\"}").endsWith("model_type: unsupported model type \"llava\""
                + " (supported: blip-2, blip_2_vision_model, clip_vision_model)"));
        assertTrue(error("{\"architectures\": [\"LlamaForCausalLM\"]}")
                .endsWith("model_type: missing, and architectures [LlamaForCausalLM] name no supported model"));
    }

    // --- unreadable files -----------------------------------------------------------------------------------

    @Test
    void missingConfigJson() {
        BadInputException e = assertThrows(BadInputException.class, () -> ModelConfig.read(dir));
        assertEquals(dir.resolve("config.json") + ": no such file", e.getMessage());
    }

    @Test
    void missingDirectory() {
        Path missing = dir.resolve("no-such-model");
        BadInputException e = assertThrows(BadInputException.class, () -> ModelConfig.read(missing));
        assertEquals(missing + ": no such model directory", e.getMessage());
    }

    @Test
    void aFileThatIsNotJsonIsNotADirectory() throws IOException {
        Path weights = Files.writeString(dir.resolve("model.safetensors"), "weights");
        BadInputException e = assertThrows(BadInputException.class, () -> ModelConfig.read(weights));
        assertEquals(weights + ": not a directory (a model directory holds config.json and the weights)",
                e.getMessage());
    }

    @Test
    void brokenJson() {
        String message = error("{\"model_type\": \"blip-2\",\n  \"num_query_tokens\": 32,\n");
        assertTrue(message.contains(": not valid JSON at line 3"), message);
    }

    @Test
    void notJsonAtAll() {
        assertTrue(error("safetensors\u0000\u0001").contains(": not valid JSON at line 1"));
    }

    @Test
    void emptyFile() {
        assertTrue(error("").endsWith(": empty file, expected a JSON object"));
        assertTrue(error("  \n").endsWith(": empty file, expected a JSON object"));
    }

    @Test
    void topLevelMustBeAnObject() {
        assertTrue(error("[{\"model_type\": \"blip-2\"}]")
                .endsWith(": expected a JSON object, got [{\"model_type\":\"blip-2\"}]"));
    }

    @Test
    void duplicateKeysAndTrailingContentAreRejected() {
        assertTrue(error("{\"model_type\": \"blip-2\", \"num_query_tokens\": 32, \"num_query_tokens\": 8}")
                .contains("Duplicate field 'num_query_tokens'"));
        assertTrue(error("{\"model_type\": \"blip-2\"} {}").contains(": not valid JSON"));
    }

    @Test
    void aDirectoryNamedConfigJsonIsNotReadable() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("model/config.json"));
        BadInputException e = assertThrows(BadInputException.class, () -> ModelConfig.read(sub.getParent()));
        assertMessageForFile(e, sub);
    }
}
