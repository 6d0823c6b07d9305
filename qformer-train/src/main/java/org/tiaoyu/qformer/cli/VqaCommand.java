package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.vision.image.ImageInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qformer vqa} (DESIGN §5): answers a question about an image with the prompt
 * {@code "Question: {} Short answer:"} (greedy by default); the answer is the text HF's processor decodes for that
 * call.
 */
@Command(name = "vqa", description = "Answer a question about an image with a BLIP-2 model directory (greedy by "
        + "default).")
final class VqaCommand implements Callable<Integer> {

    /** New tokens at most unless --max-new-tokens or --max-length says otherwise: answers are short (LAVIS's). */
    private static final int SHORT_ANSWER_TOKENS = 10;

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A Blip2ForConditionalGeneration directory with its tokenizer and processor files.")
    private Path model;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "The image.")
    private Path image;

    @Option(names = "--question", required = true, paramLabel = "Q", description = "The question.")
    private String question;

    @Option(names = "--template", defaultValue = "Question: {} Short answer:",
            description = "The prompt, {} standing for the question (default \"${DEFAULT-VALUE}\").")
    private String template;

    @Mixin
    private GenerationOptions generation = new GenerationOptions();

    @Option(names = "--json", description = "One JSON object: image, question, answer.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        if (!template.contains("{}")) {
            throw new ParameterException(spec.commandLine(), "--template needs {} where the question goes");
        }
        String answer;
        try (Blip2Captioner captioner = Blip2Captioner.load(model)) {
            if (generation.maxNewTokens == null && generation.maxLength == null) {
                generation.maxNewTokens = SHORT_ANSWER_TOKENS;
            }
            answer = captioner.answer(ImageInput.of(image), question, template,
                    generation.settings(captioner.defaults()));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode line = mapper.createObjectNode();
            line.put("image", image.toString());
            line.put("question", question);
            line.put("answer", answer);
            out.println(mapper.writeValueAsString(line));
        } else {
            out.println(answer);
        }
        out.flush();
        return ExitStatus.OK;
    }
}
