package org.tiaoyu.qformer.examples;

import java.nio.file.Path;
import java.util.List;
import org.tiaoyu.qformer.core.NativeBackend;
import org.tiaoyu.qformer.eval.ModelPredictions;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.vision.image.ImageInput;

/**
 * Captions an image and answers questions about it with a BLIP-2 directory as the hub has it (e.g.
 * {@code Salesforce/blip2-opt-2.7b} or {@code Salesforce/blip2-flan-t5-xl}, downloaded with {@code git lfs} or
 * {@code huggingface-cli download}): a caption with the directory's decoding settings, then each answer as LAVIS's
 * VQA evaluation asks for it (the prompt {@code "Question: {} Short answer:"}, 5 beams, 1 to 10 new tokens).
 *
 * <p>Run: {@code java -cp … org.tiaoyu.qformer.examples.CaptionAndAnswer MODEL_DIR IMAGE ["QUESTION" …]}.
 */
public final class CaptionAndAnswer {

    private CaptionAndAnswer() {}

    /** The caption, then one answer per question. */
    public static List<String> run(Path modelDir, Path image, List<String> questions) {
        try (Blip2Captioner blip2 = Blip2Captioner.load(modelDir)) {
            ImageInput picture = ImageInput.of(image);
            List<String> out = new java.util.ArrayList<>();
            out.add(blip2.caption(image).text());
            for (String question : questions) {
                out.add(blip2.answer(picture, question, ModelPredictions.QUESTION_TEMPLATE,
                        ModelPredictions.answerSettings()));
            }
            return out;
        }
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: CaptionAndAnswer MODEL_DIR IMAGE [QUESTION ...]");
            System.exit(2);
        }
        NativeBackend.configure();
        List<String> questions = List.of(args).subList(2, args.length);
        List<String> out = run(Path.of(args[0]), Path.of(args[1]), questions);
        System.out.println("caption: " + out.get(0));
        for (int i = 0; i < questions.size(); i++) {
            System.out.println(questions.get(i) + " -> " + out.get(i + 1));
        }
    }
}
