package org.tiaoyu.qformer.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.qformer.QueryTransformer;
import org.tiaoyu.qformer.lm.LanguageProjection;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.VisionAttention;

/**
 * The demo's tiny BLIP-2, as hub-style model directories the library's loaders and trainer take like any other:
 * a ViT of 2 layers, 64 wide, on 32×32 pictures in 16 patches; a Q-Former of 2 layers, 64 wide, with 8 queries; an
 * OPT-style language model of 2 layers, 64 wide, over the demo's words.
 * <ul>
 *   <li>{@link #writeRetrieval}: a {@code Blip2ForImageTextRetrieval} directory holding the vision tower, the
 *       Q-Former's tokenizer and the processor — stage 1 trains its Q-Former from scratch;</li>
 *   <li>{@link #writeGeneration}: a {@code Blip2ForConditionalGeneration} directory holding the vision tower and the
 *       language model, with the language model's tokenizer — stage 2 takes its Q-Former from stage 1.</li>
 * </ul>
 */
public final class DemoModels {

    static final int WIDTH = 64;
    static final int LAYERS = 2;
    static final int HEADS = 4;
    static final int QUERIES = 8;
    static final int ITC_WIDTH = 32;

    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoModels() {}

    /** The demo's {@code config.json} for {@code architecture}. */
    public static ObjectNode config(String architecture) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(architecture);
        c.put("model_type", "blip-2").put("num_query_tokens", QUERIES).put("image_text_hidden_size", ITC_WIDTH)
                .put("initializer_range", 0.02).put("initializer_factor", 1.0)
                .put("use_decoder_only_language_model", true);
        List<String> lmVocab = DemoTokenizers.languageModelVocabulary();
        c.put("image_token_index", lmVocab.indexOf(DemoTokenizers.IMAGE_TOKEN));
        c.putObject("vision_config").put("model_type", "blip_2_vision_model").put("hidden_size", WIDTH)
                .put("intermediate_size", 2 * WIDTH).put("num_hidden_layers", LAYERS)
                .put("num_attention_heads", HEADS).put("image_size", ShapesDataset.SIZE).put("patch_size", 8)
                .put("hidden_act", "gelu").put("layer_norm_eps", 1e-6).put("attention_dropout", 0.0)
                .put("initializer_range", 0.02).put("qkv_bias", true);
        c.putObject("qformer_config").put("model_type", "blip_2_qformer").put("hidden_size", WIDTH)
                .put("intermediate_size", 2 * WIDTH).put("num_hidden_layers", LAYERS)
                .put("num_attention_heads", HEADS).put("cross_attention_frequency", 1)
                .put("encoder_hidden_size", WIDTH).put("hidden_act", "gelu").put("layer_norm_eps", 1e-12)
                .put("hidden_dropout_prob", 0.0).put("attention_probs_dropout_prob", 0.0)
                .put("max_position_embeddings", 64).put("initializer_range", 0.02).put("pad_token_id", 0)
                .put("vocab_size", DemoTokenizers.qformerVocabulary().size())
                .put("use_qformer_text_input", architecture.equals(Blip2Config.IMAGE_TEXT_RETRIEVAL));
        c.putObject("text_config").put("model_type", "opt").put("hidden_size", WIDTH)
                .put("word_embed_proj_dim", WIDTH).put("ffn_dim", 2 * WIDTH).put("num_hidden_layers", LAYERS)
                .put("num_attention_heads", HEADS).put("max_position_embeddings", 64)
                .put("vocab_size", lmVocab.size()).put("activation_function", "relu")
                .put("do_layer_norm_before", true).put("enable_bias", true).put("layer_norm_elementwise_affine", true)
                .put("_remove_final_layer_norm", false).put("dropout", 0.0).put("attention_dropout", 0.0)
                .put("layerdrop", 0.0).put("init_std", 0.02).put("tie_word_embeddings", true)
                .put("bos_token_id", lmVocab.indexOf("</s>")).put("pad_token_id", lmVocab.indexOf("<pad>"))
                .put("eos_token_id", lmVocab.indexOf(DemoTokenizers.NEWLINE));
        return c;
    }

    /** The demo's config, as the library reads it. */
    public static Blip2Config parsedConfig() {
        try {
            Path dir = Files.createTempDirectory("qformer-demo-config");
            try {
                writeJson(dir.resolve("config.json"), config(Blip2Config.CONDITIONAL_GENERATION));
                return Blip2Config.read(dir);
            } finally {
                Files.deleteIfExists(dir.resolve("config.json"));
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * HF's initialisation of a fresh model: every matrix (and embedding) from a normal with std 0.02, LayerNorm
     * weights 1, biases 0.
     */
    public static void initialize(Module m, Rng rng) {
        m.namedParameters().forEach((name, p) -> {
            if (p.data().rank() >= 2) {
                rng.fillNormal(p.data(), 0.0, 0.02);
            } else {
                p.data().assign(name.endsWith("weight") ? 1.0 : 0.0);
            }
        });
    }

    /**
     * A fresh vision tower of the demo's shape, initialised as HF does but for the position embeddings: at HF's
     * std 0.02 they were too faint beside the patch embeddings for the tower to learn where a shape is (the relation
     * stayed at chance over 800 pretraining steps); at std 0.5 it learns it in a few hundred.
     */
    public static Blip2VisionTower newVisionTower(Blip2Config config, Rng rng) {
        Blip2VisionTower tower = new Blip2VisionTower(config.vision(), VisionAttention.QkvBias.FUSED, DataType.FLOAT);
        initialize(tower, rng);
        rng.fillNormal(tower.embeddings.positionEmbedding.data(), 0.0, 0.5);
        return tower;
    }

    /** A fresh language model of the demo's shape, initialised as HF does. */
    public static OptForCausalLm newLanguageModel(Blip2Config config, Rng rng) {
        OptForCausalLm lm = new OptForCausalLm((OptConfig) config.text(), DataType.FLOAT);
        initialize(lm, rng);
        return lm;
    }

    /** A retrieval directory: config, the vision tower's weights, the Q-Former's tokenizer, the processor. */
    public static void writeRetrieval(Path dir, Module visionTower) {
        write(dir, Blip2Config.IMAGE_TEXT_RETRIEVAL, weights(Map.of("vision_model.", visionTower)));
        DemoTokenizers.writeQFormer(dir);
    }

    /** A generation directory: config, the vision tower's and language model's weights, their tokenizer, processor. */
    public static void writeGeneration(Path dir, Module visionTower, Module languageModel) {
        Map<String, Module> parts = new LinkedHashMap<>();
        parts.put("vision_model.", visionTower);
        parts.put("language_model.", languageModel);
        write(dir, Blip2Config.CONDITIONAL_GENERATION, weights(parts));
        writeLanguageModelFiles(dir);
    }

    private static void writeLanguageModelFiles(Path dir) {
        DemoTokenizers.writeLanguageModel(dir);
        List<String> vocab = DemoTokenizers.languageModelVocabulary();
        writeJson(dir.resolve("generation_config.json"), Map.of("bos_token_id", vocab.indexOf("</s>"),
                "eos_token_id", vocab.indexOf(DemoTokenizers.NEWLINE), "pad_token_id", vocab.indexOf("<pad>")));
    }

    private static void writeJson(Path file, Object value) {
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * A generation directory whose Q-Former, queries and {@code language_projection} are freshly initialised: BLIP-2
     * before any training, for the demo's "before" figures.
     */
    public static void writeUntrainedGeneration(Path dir, Blip2Config config, Module visionTower,
            Module languageModel, Rng rng) {
        QueryTransformer queries = new QueryTransformer(config, DataType.FLOAT);
        initialize(queries, rng);
        Linear projection = LanguageProjection.create(config, DataType.FLOAT);
        initialize(projection, rng);
        Map<String, Module> parts = new LinkedHashMap<>();
        parts.put("vision_model.", visionTower);
        parts.put("language_model.", languageModel);
        parts.put("", queries);
        parts.put("language_projection.", projection);
        write(dir, Blip2Config.CONDITIONAL_GENERATION, weights(parts));
        writeLanguageModelFiles(dir);
    }

    private static Map<String, INDArray> weights(Map<String, Module> parts) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        parts.forEach((prefix, m) -> m.namedParameters().forEach((name, p) -> out.put(prefix + name,
                p.data().dup('c'))));
        return out;
    }

    private static void write(Path dir, String architecture, Map<String, INDArray> weights) {
        try {
            Files.createDirectories(dir);
            writeJson(dir.resolve("config.json"), config(architecture));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
            ObjectNode image = JSON.createObjectNode().put("image_processor_type", "BlipImageProcessor")
                    .put("do_resize", true).put("resample", 3).put("do_rescale", true)
                    .put("rescale_factor", 1 / 255.0).put("do_normalize", true).put("do_convert_rgb", true);
            image.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
            image.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
            image.putObject("size").put("height", ShapesDataset.SIZE).put("width", ShapesDataset.SIZE);
            writeJson(dir.resolve("preprocessor_config.json"), image);
            ObjectNode processor = JSON.createObjectNode().put("processor_class", "Blip2Processor")
                    .put("num_query_tokens", QUERIES);
            processor.set("image_processor", image);
            writeJson(dir.resolve("processor_config.json"), processor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo model to " + dir, e);
        }
    }
}
