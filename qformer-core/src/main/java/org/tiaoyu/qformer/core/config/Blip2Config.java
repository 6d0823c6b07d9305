package org.tiaoyu.qformer.core.config;

import static org.tiaoyu.qformer.core.config.Checks.notNull;
import static org.tiaoyu.qformer.core.config.Checks.positive;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * A whole BLIP-2 model, mirroring HF's {@code Blip2Config} ({@code model_type} {@code blip-2}): the config of
 * {@code Blip2ForConditionalGeneration}, {@code Blip2ForImageTextRetrieval} and stage-1 checkpoints.
 *
 * <p>As in HF, the Q-Former's {@code encoder_hidden_size} is derived here, in one place: whatever value is
 * given, {@link #qformer()} cross-attends to features of the vision width.
 *
 * @param vision               {@code vision_config}
 * @param qformer              {@code qformer_config}, with {@code encoderHiddenSize == vision.hiddenSize()}
 * @param text                 {@code text_config}; HF keeps one (default OPT) even for retrieval models, which
 *                             do not use it
 * @param numQueryTokens       {@code num_query_tokens}, Q learned queries
 * @param imageTokenIndex      {@code image_token_index}, the prompt token the projected queries replace; empty
 *                             for retrieval checkpoints and configs older than transformers 4.47
 * @param imageTextHiddenSize  {@code image_text_hidden_size}, width E of the ITC projections
 * @param architectures        {@code architectures}, the HF classes the checkpoint was saved from
 * @param initializerRange     {@code initializer_range}
 * @param initializerFactor    {@code initializer_factor}
 */
public record Blip2Config(
        VisionConfig vision,
        QFormerConfig qformer,
        TextConfig text,
        int numQueryTokens,
        OptionalInt imageTokenIndex,
        int imageTextHiddenSize,
        List<String> architectures,
        double initializerRange,
        double initializerFactor) implements ModelConfig {

    public Blip2Config {
        notNull("vision_config", vision);
        notNull("qformer_config", qformer);
        notNull("text_config", text);
        notNull("image_token_index", imageTokenIndex);
        architectures = List.copyOf(notNull("architectures", architectures));
        positive("num_query_tokens", numQueryTokens);
        positive("image_text_hidden_size", imageTextHiddenSize);
        positive("initializer_range", initializerRange);
        positive("initializer_factor", initializerFactor);
        if (imageTokenIndex.isPresent()) {
            Checks.tokenId("image_token_index", imageTokenIndex.getAsInt(), text.vocabSize());
        }
        // HF: self.qformer_config.encoder_hidden_size = self.vision_config.hidden_size
        qformer = qformer.withEncoderHiddenSize(vision.hiddenSize());
    }

    /**
     * {@code Salesforce/blip2-opt-2.7b}: EVA ViT-g, the BERT-base Q-Former with 32 queries, OPT-2.7B, and the
     * {@code <image>} token 50265.
     */
    public static Blip2Config blip2Opt27b() {
        return new Blip2Config(VisionConfig.evaVitG(), QFormerConfig.bertBase(), OptConfig.opt27b(), 32,
                OptionalInt.of(50265), 256, List.of("Blip2ForConditionalGeneration"), 0.02, 1.0);
    }

    /**
     * {@code Salesforce/blip2-flan-t5-xl}: EVA ViT-g, the BERT-base Q-Former with 32 queries, Flan-T5-XL, and
     * the {@code <image>} token 32100.
     */
    public static Blip2Config blip2FlanT5Xl() {
        return new Blip2Config(VisionConfig.evaVitG(), QFormerConfig.bertBase(), T5Config.flanT5Xl(), 32,
                OptionalInt.of(32100), 256, List.of("Blip2ForConditionalGeneration"), 0.02, 1.0);
    }

    /**
     * A config for a Q-Former trained (stage 1) on precomputed image features of {@code qformer.encoderHiddenSize()}
     * width, with {@code numQueryTokens} queries and ITC embeddings of {@code imageTextHiddenSize}: the vision tower
     * is EVA ViT-g's but for its width (and heads, the largest divisor of the width up to 16), the text model
     * OPT-2.7B's (stage 1 uses neither).
     */
    public static Blip2Config forQFormer(QFormerConfig qformer, int numQueryTokens, int imageTextHiddenSize) {
        VisionConfig g = VisionConfig.evaVitG();
        int width = qformer.encoderHiddenSize();
        int heads = 16;
        while (width % heads != 0) {
            heads--;
        }
        VisionConfig vision = new VisionConfig(width, g.intermediateSize(), g.numHiddenLayers(), heads,
                g.imageSize(), g.patchSize(), g.layerNormEps(), g.hiddenAct(), g.qkvBias(), g.attentionDropout(),
                g.numChannels());
        return new Blip2Config(vision, qformer, OptConfig.opt27b(), numQueryTokens, OptionalInt.empty(),
                imageTextHiddenSize, List.of("Blip2ForImageTextRetrieval"), qformer.initializerRange(), 1.0);
    }

    /** This config with another Q-Former config (its {@code encoder_hidden_size} is derived again). */
    public Blip2Config withQFormer(QFormerConfig qformer) {
        return new Blip2Config(vision, qformer, text, numQueryTokens, imageTokenIndex, imageTextHiddenSize,
                architectures, initializerRange, initializerFactor);
    }

    /** HF's class for captioning and VQA checkpoints. */
    public static final String CONDITIONAL_GENERATION = "Blip2ForConditionalGeneration";

    /** HF's class for image-text matching and retrieval checkpoints. */
    public static final String IMAGE_TEXT_RETRIEVAL = "Blip2ForImageTextRetrieval";

    /** Whether {@code architectures} names {@code hfClass} as the class the checkpoint was saved from. */
    public boolean savedAs(String hfClass) {
        return architectures.contains(hfClass);
    }

    /**
     * Reads the {@code config.json} of a BLIP-2 model directory.
     *
     * @param modelDir the directory, or the {@code config.json} itself
     * @throws BadInputException when the file is missing, unreadable, invalid, or not a BLIP-2 config
     */
    public static Blip2Config read(Path modelDir) {
        ModelConfig config = ModelConfig.read(modelDir);
        if (config instanceof Blip2Config blip2) {
            return blip2;
        }
        throw new BadInputException(HfConfigReader.configFile(modelDir) + ": not a BLIP-2 model (model_type "
                + HfConfigReader.modelTypeOf(config) + ", expected " + HfConfigReader.BLIP_2 + ")");
    }

    /**
     * Whether the language model is decoder-only (OPT) rather than encoder-decoder (T5); HF derives
     * {@code use_decoder_only_language_model} from the text model type the same way and ignores the stored value.
     */
    public boolean useDecoderOnlyLanguageModel() {
        return text instanceof OptConfig;
    }
}
