package org.tiaoyu.qformer.pipeline;

import java.nio.file.Path;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.qformer.QueryTransformer;
import org.tiaoyu.qformer.lm.ImageTokens;
import org.tiaoyu.qformer.lm.LanguageProjection;
import org.tiaoyu.qformer.lm.generate.DecodingSession;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.lm.generate.GenerationOutput;
import org.tiaoyu.qformer.lm.generate.Generator;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.t5.T5ForConditionalGeneration;
import org.tiaoyu.qformer.vision.Blip2VisionTower;

/**
 * HF's {@code Blip2ForConditionalGeneration.generate} on token ids: the frozen ViT, the Q-Former's queries, the
 * language projection, and the frozen OPT or T5 with the projected queries in place of the prompt's image tokens.
 * Needs only the weights and {@code config.json}; {@link Blip2Captioner} adds the tokenizer and the processor.
 */
public final class Blip2Generator {

    private final Blip2Config config;
    private final Blip2VisionTower vision;
    private final QueryTransformer queries;
    private final Linear projection;
    private final OptForCausalLm opt;                    // exactly one of opt and t5
    private final T5ForConditionalGeneration t5;

    private Blip2Generator(Path modelDir) {
        this.config = Blip2Config.read(modelDir);
        if (config.savedAs(Blip2Config.IMAGE_TEXT_RETRIEVAL)) {
            throw new BadInputException(modelDir + ": a " + Blip2Config.IMAGE_TEXT_RETRIEVAL + " model, which "
                    + "matches and embeds images and texts (qformer match, retrieval), not a "
                    + Blip2Config.CONDITIONAL_GENERATION + " one that generates text");
        }
        if (config.imageTokenIndex().isEmpty()) {
            throw new BadInputException(modelDir.resolve("config.json") + ": no image_token_index; BLIP-2 "
                    + "directories saved by transformers 4.47 or later have one");
        }
        this.vision = Blip2VisionTower.load(modelDir);
        this.queries = QueryTransformer.load(modelDir);
        this.projection = LanguageProjection.load(modelDir);
        boolean decoderOnly = config.text() instanceof OptConfig;
        this.opt = decoderOnly ? OptForCausalLm.load(modelDir) : null;
        this.t5 = decoderOnly ? null : T5ForConditionalGeneration.load(modelDir);
    }

    /** Loads a {@code Blip2ForConditionalGeneration} directory (OPT or T5 language model). */
    public static Blip2Generator load(Path modelDir) {
        return new Blip2Generator(modelDir);
    }

    public Blip2Config config() {
        return config;
    }

    /** Whether the language model is an encoder-decoder (T5), whose output excludes the prompt. */
    public boolean encoderDecoder() {
        return t5 != null;
    }

    /** The square image size the vision tower takes. */
    public int imageSize() {
        return vision.imageSize();
    }

    /**
     * The prompt without text: {@code [image]·Q + [bos]} for OPT, as HF builds it; for T5 (where HF has no such
     * default) {@code [image]·Q + [eos]}, which is what T5's tokenizer makes of an empty prompt. [batch, Q+1].
     */
    public INDArray imageOnlyPrompt(int batch) {
        int q = config.numQueryTokens();
        long last = opt != null ? opt.config.bosTokenId() : t5.config.eosTokenId();
        long[][] ids = new long[batch][q + 1];
        for (long[] row : ids) {
            Arrays.fill(row, 0, q, config.imageTokenIndex().getAsInt());
            row[q] = last;
        }
        return Nd4j.createFromArray(ids);
    }

    /** The token finished rows are filled with under {@code generation} (to merge batches' outputs). */
    public long fillTokenId(GenerationConfig generation) {
        return opt != null ? Generator.fillTokenId(generation, opt.config.eosTokenId(), opt.config.padTokenId())
                : Generator.fillTokenId(generation, t5.config.eosTokenId(), t5.config.padTokenId());
    }

    /**
     * Generates from images and prompts.
     *
     * @param pixelValues   [B, 3, S, S]
     * @param inputIds      [B, T] prompts with {@code num_query_tokens} image tokens each (left padding for OPT)
     * @param attentionMask [B, T]
     * @return HF's {@code sequences} (OPT: prompt + new tokens; T5: decoder start + new tokens), and for beam search
     *         {@code sequences_scores}
     * @throws BadInputException when a prompt row does not hold exactly {@code num_query_tokens} image tokens
     */
    public GenerationOutput generate(INDArray pixelValues, INDArray inputIds, INDArray attentionMask,
            GenerationConfig generation) {
        try (var noGrad = Grad.off(); var arena = Arena.open("generate")) {
            Tensor image = vision.encode(Tensor.constant(pixelValues)).lastHiddenState();
            Tensor projected = projection.forward(queries.forward(image).lastHiddenState());
            long imageToken = config.imageTokenIndex().getAsInt();
            INDArray ids = inputIds.castTo(DataType.INT64);
            try (DecodingSession session = opt != null
                    ? opt.startDecoding(ids, ImageTokens.scatter(opt.embed(ids), projected, ids, imageToken),
                            attentionMask)
                    : t5.startDecoding(ImageTokens.scatter(t5.embed(ids), projected, ids, imageToken),
                            attentionMask)) {
                return Generator.generate(session, generation);
            }
        }
    }
}
