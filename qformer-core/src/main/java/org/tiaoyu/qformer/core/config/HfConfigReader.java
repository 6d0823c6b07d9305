package org.tiaoyu.qformer.core.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.Supplier;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * Turns an HF {@code config.json} into the config records. This is the one place that knows HF's snake_case
 * field names and defaults (from {@code configuration_blip_2.py}, {@code configuration_opt.py},
 * {@code configuration_t5.py} and {@code configuration_clip.py}); every problem becomes a one-line
 * {@link BadInputException} that starts with the file's path and names the field.
 */
final class HfConfigReader {
    static final String BLIP_2 = "blip-2";
    static final String BLIP_2_VISION = "blip_2_vision_model";
    static final String CLIP_VISION = "clip_vision_model";

    /** A config.json is a few kB; refuse to slurp a checkpoint passed by mistake. */
    private static final long MAX_CONFIG_BYTES = 16L << 20;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private HfConfigReader() {}

    /**
     * The config file of a model directory; a {@code .json} file is taken as the config itself.
     *
     * @throws BadInputException when the path does not exist, or is a file of another kind (a checkpoint, an image)
     */
    static Path configFile(Path modelDir) {
        if (Files.isDirectory(modelDir)) {
            return modelDir.resolve("config.json");
        }
        if (!Files.exists(modelDir)) {
            throw new BadInputException(modelDir + ": no such model directory");
        }
        if (!modelDir.getFileName().toString().endsWith(".json")) {
            throw new BadInputException(modelDir + ": not a directory (a model directory holds config.json and the "
                    + "weights)");
        }
        return modelDir;
    }

    static ModelConfig read(Path modelDir) {
        Path file = configFile(modelDir);
        return fromJson(new Fields(file.toString(), "", readTree(file)));
    }

    static String modelTypeOf(ModelConfig config) {
        if (config instanceof Blip2Config) {
            return BLIP_2;
        }
        return config instanceof VisionConfig ? BLIP_2_VISION : CLIP_VISION;
    }

    private static JsonNode readTree(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_CONFIG_BYTES) {
                throw new BadInputException(file + ": too large for a config.json (" + Files.size(file) + " bytes)");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new BadInputException(file + ": permission denied", e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new BadInputException(
                    file + ": not valid JSON" + where + ": " + oneLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            throw new BadInputException(file + ": empty file, expected a JSON object");
        }
        if (!root.isObject()) {
            throw new BadInputException(file + ": expected a JSON object, got " + Fields.show(root));
        }
        return root;
    }

    private static ModelConfig fromJson(Fields f) {
        String modelType = f.optionalString("model_type");
        if (modelType == null) {
            modelType = modelTypeFromArchitectures(f);
        }
        return switch (modelType) {
            case BLIP_2 -> blip2(f);
            case BLIP_2_VISION -> vision(f);
            case CLIP_VISION -> clipVision(f);
            default -> throw f.error("model_type", "unsupported model type \"" + modelType + "\" (supported: "
                    + BLIP_2 + ", " + BLIP_2_VISION + ", " + CLIP_VISION + ")");
        };
    }

    private static String modelTypeFromArchitectures(Fields f) {
        List<String> architectures = f.strings("architectures");
        for (String a : architectures) {
            if (a.equals("Blip2VisionModel")) {
                return BLIP_2_VISION;
            }
            if (a.startsWith("Blip2")) {
                return BLIP_2;
            }
            if (a.startsWith("CLIPVisionModel")) {
                return CLIP_VISION;
            }
        }
        throw f.error("model_type", "missing, and architectures " + architectures + " name no supported model");
    }

    private static Blip2Config blip2(Fields f) {
        VisionConfig vision = vision(f.object("vision_config"));
        QFormerConfig qformer = qformer(f.object("qformer_config"));
        TextConfig text = text(f.object("text_config"));
        return build(f, () -> new Blip2Config(vision, qformer, text,
                f.integer("num_query_tokens", 32),
                f.optionalInteger("image_token_index"),
                f.integer("image_text_hidden_size", 256),
                f.strings("architectures"),
                f.number("initializer_range", 0.02),
                f.number("initializer_factor", 1.0)));
    }

    /** HF's {@code Blip2VisionConfig} defaults are EVA ViT-g's. */
    private static VisionConfig vision(Fields f) {
        VisionConfig d = VisionConfig.evaVitG();
        return build(f, () -> new VisionConfig(
                f.integer("hidden_size", d.hiddenSize()),
                f.integer("intermediate_size", d.intermediateSize()),
                f.integer("num_hidden_layers", d.numHiddenLayers()),
                f.integer("num_attention_heads", d.numAttentionHeads()),
                f.integer("image_size", d.imageSize()),
                f.integer("patch_size", d.patchSize()),
                f.number("layer_norm_eps", d.layerNormEps()),
                f.activation("hidden_act", d.hiddenAct()),
                f.bool("qkv_bias", d.qkvBias()),
                f.number("attention_dropout", d.attentionDropout()),
                f.integer("num_channels", d.numChannels())));
    }

    /** HF's {@code Blip2QFormerConfig} defaults are the BERT-base Q-Former's. */
    private static QFormerConfig qformer(Fields f) {
        String positions = f.string("position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw f.error("position_embedding_type", "\"" + positions
                    + "\" is not supported (BLIP-2's Q-Former uses absolute position embeddings)");
        }
        QFormerConfig d = QFormerConfig.bertBase();
        return build(f, () -> new QFormerConfig(
                f.integer("vocab_size", d.vocabSize()),
                f.integer("hidden_size", d.hiddenSize()),
                f.integer("num_hidden_layers", d.numHiddenLayers()),
                f.integer("num_attention_heads", d.numAttentionHeads()),
                f.integer("intermediate_size", d.intermediateSize()),
                f.activation("hidden_act", d.hiddenAct()),
                f.number("hidden_dropout_prob", d.hiddenDropoutProb()),
                f.number("attention_probs_dropout_prob", d.attentionProbsDropoutProb()),
                f.integer("max_position_embeddings", d.maxPositionEmbeddings()),
                f.number("initializer_range", d.initializerRange()),
                f.number("layer_norm_eps", d.layerNormEps()),
                f.integer("pad_token_id", d.padTokenId()),
                f.integer("cross_attention_frequency", d.crossAttentionFrequency()),
                f.integer("encoder_hidden_size", d.encoderHiddenSize()),
                f.bool("use_qformer_text_input", d.useQformerTextInput())));
    }

    /** HF: {@code CONFIG_MAPPING[text_config.get("model_type", "opt")]}. */
    private static TextConfig text(Fields f) {
        String modelType = f.string("model_type", "opt");
        return switch (modelType) {
            case "opt" -> opt(f);
            case "t5" -> t5(f);
            default -> throw f.error("model_type",
                    "unsupported language model \"" + modelType + "\" (supported: opt, t5)");
        };
    }

    /** HF's {@code OPTConfig} defaults are facebook/opt-125m's. */
    private static OptConfig opt(Fields f) {
        int hiddenSize = f.integer("hidden_size", 768);
        return build(f, () -> new OptConfig(
                f.integer("vocab_size", 50272),
                hiddenSize,
                f.integer("num_hidden_layers", 12),
                f.integer("ffn_dim", 3072),
                f.integer("num_attention_heads", 12),
                f.integer("max_position_embeddings", 2048),
                f.bool("do_layer_norm_before", true),
                f.optionalInteger("word_embed_proj_dim").orElse(hiddenSize),
                f.activation("activation_function", Activation.RELU),
                f.number("dropout", 0.1),
                f.number("attention_dropout", 0.0),
                f.bool("layer_norm_elementwise_affine", true),
                f.bool("enable_bias", true),
                f.bool("_remove_final_layer_norm", false),
                f.integer("pad_token_id", 1),
                f.integer("bos_token_id", 2),
                f.integer("eos_token_id", 2),
                f.bool("tie_word_embeddings", true)));
    }

    /** HF's {@code T5Config} defaults are google-t5/t5-small's. */
    private static T5Config t5(Fields f) {
        int numLayers = f.integer("num_layers", 6);
        int padTokenId = f.integer("pad_token_id", 0);
        boolean tieWordEmbeddings = f.bool("tie_word_embeddings", true);
        T5Config.FeedForwardProj feedForwardProj =
                f.parse("feed_forward_proj", "relu", T5Config.FeedForwardProj::parse);
        return build(f, () -> new T5Config(
                f.integer("vocab_size", 32128),
                f.integer("d_model", 512),
                f.integer("d_kv", 64),
                f.integer("d_ff", 2048),
                numLayers,
                f.optionalInteger("num_decoder_layers").orElse(numLayers),
                f.integer("num_heads", 8),
                f.integer("relative_attention_num_buckets", 32),
                f.integer("relative_attention_max_distance", 128),
                f.number("dropout_rate", 0.1),
                f.number("layer_norm_epsilon", 1e-6),
                feedForwardProj,
                tieWordEmbeddings,
                // transformers 5.17+ saves the flag; before, tie_word_embeddings doubled as it.
                f.bool("scale_decoder_outputs", tieWordEmbeddings),
                padTokenId,
                f.integer("eos_token_id", 1),
                f.optionalInteger("decoder_start_token_id").orElse(padTokenId)));
    }

    /** HF's {@code CLIPVisionConfig} defaults are openai/clip-vit-base-patch32's. */
    private static ClipVisionConfig clipVision(Fields f) {
        return build(f, () -> new ClipVisionConfig(
                f.integer("hidden_size", 768),
                f.integer("intermediate_size", 3072),
                f.integer("num_hidden_layers", 12),
                f.integer("num_attention_heads", 12),
                f.integer("num_channels", 3),
                f.integer("image_size", 224),
                f.integer("patch_size", 32),
                f.number("layer_norm_eps", 1e-5),
                f.activation("hidden_act", Activation.QUICK_GELU),
                f.number("attention_dropout", 0.0),
                f.integer("projection_dim", 512)));
    }

    /** Runs a record constructor, turning its validation error into a {@link BadInputException} for the file. */
    private static <T> T build(Fields f, Supplier<T> constructor) {
        try {
            return constructor.get();
        } catch (IllegalArgumentException e) {
            String section = f.section().isEmpty() ? "" : f.section() + ": ";
            throw new BadInputException(f.file() + ": " + section + e.getMessage(), e);
        }
    }

    /** Jackson's message on one line, with any control characters from a binary file replaced. */
    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").replaceAll("\\p{Cntrl}", "?").strip();
    }

    /**
     * Typed access to one JSON object of the file: {@code section} is where it sits ({@code ""} for the top,
     * {@code "qformer_config"}, …), so errors can name {@code qformer_config.hidden_size}. Absent fields take
     * the given default; JSON {@code null} counts as absent only where HF allows {@code None}.
     */
    private record Fields(String file, String section, JsonNode node) {

        Fields object(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                // HF: a missing or None sub-config gets all defaults.
                return new Fields(file, where(name), JsonNodeFactory.instance.objectNode());
            }
            if (!v.isObject()) {
                throw error(name, "expected a JSON object, got " + show(v));
            }
            return new Fields(file, where(name), v);
        }

        int integer(String name, int fallback) {
            JsonNode v = node.get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw error(name, "expected an integer, got " + show(v));
            }
            return v.intValue();
        }

        /** An integer HF allows to be {@code None}: absent or {@code null} gives empty. */
        OptionalInt optionalInteger(String name) {
            JsonNode v = node.get(name);
            return v == null || v.isNull() ? OptionalInt.empty() : OptionalInt.of(integer(name, 0));
        }

        double number(String name, double fallback) {
            JsonNode v = node.get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isNumber()) {
                throw error(name, "expected a number, got " + show(v));
            }
            return v.doubleValue();
        }

        boolean bool(String name, boolean fallback) {
            JsonNode v = node.get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isBoolean()) {
                throw error(name, "expected true or false, got " + show(v));
            }
            return v.booleanValue();
        }

        String string(String name, String fallback) {
            String s = optionalString(name);
            return s == null ? fallback : s;
        }

        /** A string, or {@code null} when absent or {@code null}. */
        String optionalString(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isTextual()) {
                throw error(name, "expected a string, got " + show(v));
            }
            return v.textValue();
        }

        /** A list of strings; absent or {@code null} gives an empty list. */
        List<String> strings(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return List.of();
            }
            if (!v.isArray()) {
                throw error(name, "expected a list of strings, got " + show(v));
            }
            List<String> out = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw error(name, "expected a list of strings, got " + show(v));
                }
                out.add(e.textValue());
            }
            return out;
        }

        Activation activation(String name, Activation fallback) {
            return parse(name, fallback.hfName(), Activation::fromHfName);
        }

        /** A string field turned into a value by {@code parser}, whose {@link IllegalArgumentException} names
         *  the problem. */
        <T> T parse(String name, String fallback, Function<String, T> parser) {
            String s = string(name, fallback);
            try {
                return parser.apply(s);
            } catch (IllegalArgumentException e) {
                throw error(name, e.getMessage());
            }
        }

        BadInputException error(String name, String problem) {
            return new BadInputException(file + ": " + where(name) + ": " + problem);
        }

        private String where(String name) {
            return section.isEmpty() ? name : section + "." + name;
        }

        static String show(JsonNode v) {
            String s = v.toString();
            return s.length() <= 40 ? s : s.substring(0, 37) + "...";
        }
    }
}
