package org.tiaoyu.qformer.pipeline;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.lm.generate.GenerationOutput;
import org.tiaoyu.qformer.lm.tokenizer.EncodedBatch;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;
import org.tiaoyu.qformer.lm.tokenizer.PaddingSide;
import org.tiaoyu.qformer.vision.image.ImageInput;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/**
 * Captions images and answers questions with a {@code Blip2ForConditionalGeneration} directory as the hub ships it
 * (weights, config, tokenizer and processor files), as HF's {@code Blip2Processor} + {@code generate} +
 * {@code processor.batch_decode(skip_special_tokens=True)} do: the prompt is {@code [image]·Q + tokenizer(prompt)}
 * (the tokenizer adds its own bos or eos), left-padded in a batch for OPT. Decoding settings default to the
 * directory's {@code generation_config.json}. Load once, caption many; close to free the tokenizer.
 *
 * <pre>{@code
 * try (Blip2Captioner blip2 = Blip2Captioner.load(Path.of("blip2-opt-2.7b"))) {
 *     System.out.println(blip2.caption(Path.of("photo.jpg")).text());
 *     System.out.println(blip2.answer(ImageInput.of(picture), "what is shown?"));
 * }
 * }</pre>
 */
public final class Blip2Captioner implements AutoCloseable {

    /** BLIP-2's VQA prompt; {} stands for the question. */
    public static final String QUESTION_TEMPLATE = "Question: {} Short answer:";

    /** New tokens at most when the directory sets no length (HF's max_length 20 would count the image tokens). */
    public static final int DEFAULT_MAX_NEW_TOKENS = 30;

    private final Blip2Generator model;
    private final ImageProcessor processor;
    private final HfTokenizer tokenizer;
    private final GenerationConfig defaults;

    private Blip2Captioner(Path modelDir) {
        this.model = Blip2Generator.load(modelDir);
        this.processor = ImageProcessor.fromModelDir(modelDir);
        GenerationConfig configured = GenerationConfig.fromModelDir(modelDir);
        this.defaults = configured.maxNewTokens() == -1 && configured.maxLength() == GenerationConfig.defaults()
                .maxLength() ? configured.toBuilder().maxNewTokens(DEFAULT_MAX_NEW_TOKENS).build() : configured;
        this.tokenizer = HfTokenizer.load(modelDir);
    }

    /** Loads a {@code Blip2ForConditionalGeneration} directory with its tokenizer and processor files. */
    public static Blip2Captioner load(Path modelDir) {
        return new Blip2Captioner(modelDir);
    }

    /**
     * The directory's decoding settings: {@code generation_config.json} over HF's defaults, with
     * {@link #DEFAULT_MAX_NEW_TOKENS} when it sets neither {@code max_new_tokens} nor {@code max_length}.
     */
    public GenerationConfig defaults() {
        return defaults;
    }

    /** A caption of an image file, no prompt, default settings. */
    public Caption caption(Path image) {
        return caption(ImageInput.of(image), "");
    }

    /** A caption of a picture in memory, no prompt, default settings. */
    public Caption caption(BufferedImage image) {
        return caption(ImageInput.of(image), "");
    }

    /** The continuation of {@code prompt} for an image, default settings. */
    public Caption caption(ImageInput image, String prompt) {
        return caption(image, prompt, defaults);
    }

    /** The best continuation of {@code prompt} for an image with the given settings. */
    public Caption caption(ImageInput image, String prompt, GenerationConfig generation) {
        return caption(List.of(image), List.of(prompt), generation).get(0);
    }

    /** The short answer to a question, with {@link #QUESTION_TEMPLATE} and default settings. */
    public String answer(ImageInput image, String question) {
        return answer(image, question, QUESTION_TEMPLATE, defaults);
    }

    /**
     * The answer to a question as LAVIS's {@code predict_answers} gives it: the text generated after the prompt
     * {@code template} ({} standing for the question), without surrounding spaces.
     */
    public String answer(ImageInput image, String question, String template, GenerationConfig generation) {
        if (!template.contains("{}")) {
            throw new IllegalArgumentException("the question template needs {} where the question goes: " + template);
        }
        return caption(List.of(image), List.of(template.replace("{}", question)), generation).get(0).continuation()
                .strip();
    }

    /**
     * Captions a batch: one prompt per image; the images go through the model together.
     *
     * @return {@code num_return_sequences} captions per image, the images in order
     */
    public List<Caption> caption(List<ImageInput> images, List<String> prompts, GenerationConfig generation) {
        if (images.size() != prompts.size() || images.isEmpty()) {
            throw new IllegalArgumentException("need one prompt per image, got " + images.size() + " images and "
                    + prompts.size() + " prompts");
        }
        int q = model.config().numQueryTokens();
        long imageToken = model.config().imageTokenIndex().getAsInt();
        EncodedBatch text = tokenizer.encodeBatch(prompts,
                model.encoderDecoder() ? PaddingSide.RIGHT : PaddingSide.LEFT);
        long[][] ids = new long[text.size()][q + text.length()];
        long[][] mask = new long[text.size()][q + text.length()];
        for (int i = 0; i < text.size(); i++) {
            Arrays.fill(ids[i], 0, q, imageToken);
            Arrays.fill(mask[i], 0, q, 1);
            System.arraycopy(text.inputIds()[i], 0, ids[i], q, text.length());
            System.arraycopy(text.attentionMask()[i], 0, mask[i], q, text.length());
        }
        INDArray pixels = processor.process(images);
        GenerationOutput out;
        try {
            out = model.generate(pixels, Nd4j.createFromArray(ids), Nd4j.createFromArray(mask), generation);
        } finally {
            Arena.release(pixels);                                       // now, not at the next GC
        }
        List<String> texts = tokenizer.decodeBatch(out.sequences(), true);
        // OPT's sequences start with the prompt (HF's layout); T5's hold only what was generated.
        int promptLength = model.encoderDecoder() ? 0 : ids[0].length;
        List<String> continuations = model.encoderDecoder() ? texts : tokenizer.decodeBatch(Arrays.stream(
                out.sequences()).map(row -> Arrays.copyOfRange(row, promptLength, row.length)).toArray(long[][]::new),
                true);
        int perImage = out.sequences().length / images.size();
        List<Caption> captions = new ArrayList<>();
        for (int i = 0; i < out.sequences().length; i++) {
            double score = out.sequencesScores() == null ? Double.NaN : out.sequencesScores()[i];
            captions.add(new Caption(images.get(i / perImage).name(), prompts.get(i / perImage), texts.get(i),
                    continuations.get(i), out.sequences()[i], score));
        }
        return captions;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
