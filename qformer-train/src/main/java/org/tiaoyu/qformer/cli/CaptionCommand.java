package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import org.tiaoyu.qformer.pipeline.Caption;
import org.tiaoyu.qformer.vision.image.ImageInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code qformer caption} (DESIGN §5): one line (or JSON object) per image and returned sequence, the images in
 * batches; the text is what HF's processor decodes for the same call.
 */
@Command(name = "caption", description = "Caption images with a BLIP-2 model directory (greedy, beam search or "
        + "sampling).")
final class CaptionCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A Blip2ForConditionalGeneration directory with its tokenizer and processor files.")
    private Path model;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Images to caption.")
    private List<Path> images;

    @Option(names = "--prompt", defaultValue = "", description = "Text the caption continues (default none).")
    private String prompt;

    @Option(names = "--batch-size", defaultValue = "8", description = "Images per batch (default ${DEFAULT-VALUE}).")
    private int batchSize;

    @Option(names = "--json", description = "One JSON object per line: image, prompt, text.")
    private boolean json;

    @Mixin
    private GenerationOptions generation = new GenerationOptions();

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) {
            throw new ParameterException(spec.commandLine(), "--batch-size must be positive");
        }
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        try (Blip2Captioner captioner = Blip2Captioner.load(model)) {
            GenerationConfig settings = generation.settings(captioner.defaults());
            for (int from = 0; from < images.size(); from += batchSize) {
                List<ImageInput> batch = images.subList(from, Math.min(images.size(), from + batchSize)).stream()
                        .map(ImageInput::of).toList();
                for (Caption c : captioner.caption(batch, Collections.nCopies(batch.size(), prompt), settings)) {
                    if (json) {
                        ObjectNode line = mapper.createObjectNode();
                        line.put("image", c.image());
                        line.put("prompt", c.prompt());
                        line.put("text", c.text());
                        out.println(mapper.writeValueAsString(line));
                    } else {
                        out.println(c.image() + "\t" + c.text());
                    }
                }
                out.flush();
            }
        }
        return ExitStatus.OK;
    }
}
