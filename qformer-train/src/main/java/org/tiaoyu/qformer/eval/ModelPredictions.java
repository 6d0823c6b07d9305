package org.tiaoyu.qformer.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tiaoyu.qformer.core.MemoryBudget;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.pipeline.Caption;
import org.tiaoyu.qformer.vision.image.ImageInput;

/**
 * What a BLIP-2 model predicts for an evaluation, with LAVIS's settings: captions (its caption task: prompt
 * {@code "a photo of"}, 5 beams, at most 30 and at least 8 new tokens) and short answers (its VQA task: the prompt
 * {@code "Question: {} Short answer:"}, 5 beams, at most 10 and at least 1 new token). As LAVIS evaluates them, a
 * prediction is the generated text after the prompt, without surrounding spaces.
 */
public final class ModelPredictions {

    /** LAVIS's caption prompt ({@code caption_coco_*.yaml}). */
    public static final String CAPTION_PROMPT = "a photo of";

    /** LAVIS's VQA prompt. */
    public static final String QUESTION_TEMPLATE = Blip2Captioner.QUESTION_TEMPLATE;

    private ModelPredictions() {}

    /** LAVIS's caption decoding: 5 beams, 8 to 30 new tokens. */
    public static GenerationConfig captionSettings() {
        return GenerationConfig.builder().numBeams(5).maxNewTokens(30).minNewTokens(8).build();
    }

    /** LAVIS's VQA decoding: 5 beams, 1 to 10 new tokens. */
    public static GenerationConfig answerSettings() {
        return GenerationConfig.builder().numBeams(5).maxNewTokens(10).minNewTokens(1).build();
    }

    /** One caption per image, {@code batchSize} images at a time. */
    public static List<String> captions(Blip2Captioner model, List<Path> images, String prompt,
            GenerationConfig generation, int batchSize, EvalProgress progress) {
        List<String> prompts = images.stream().map(i -> prompt).toList();
        return generate(model, images, prompts, generation, batchSize, "captions", progress);
    }

    /** One short answer per (image, question), the question put into {@code template} at {@code {}}. */
    public static List<String> answers(Blip2Captioner model, List<Path> images, List<String> questions,
            String template, GenerationConfig generation, int batchSize, EvalProgress progress) {
        if (!template.contains("{}")) {
            throw new IllegalArgumentException("the question template needs {} where the question goes: "
                    + template);
        }
        List<String> prompts = questions.stream().map(q -> template.replace("{}", q)).toList();
        return generate(model, images, prompts, generation, batchSize, "answers", progress);
    }

    private static List<String> generate(Blip2Captioner model, List<Path> images, List<String> prompts,
            GenerationConfig generation, int batchSize, String phase, EvalProgress progress) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("the batch size must be at least 1, got " + batchSize);
        }
        List<String> out = new ArrayList<>();
        for (int start = 0; start < images.size(); start += batchSize) {
            int end = Math.min(images.size(), start + batchSize);
            List<ImageInput> batch = images.subList(start, end).stream().map(ImageInput::of).toList();
            for (Caption c : model.caption(batch, prompts.subList(start, end), generation)) {
                out.add(c.continuation().strip());
            }
            progress.update(phase, end, images.size());
            MemoryBudget.collectOccasionally();
        }
        return out;
    }
}
