package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qformer caption} (DESIGN §5): one line (or JSON object) per image. Greedy decoding so far. */
@Command(name = "caption", description = "Caption images with a BLIP-2 model directory (greedy decoding).")
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

    @Option(names = "--max-new-tokens", defaultValue = "30", description = "Default ${DEFAULT-VALUE}.")
    private int maxNewTokens;

    @Option(names = "--num-beams", defaultValue = "1", description = "1 (greedy); beam search is not there yet.")
    private int numBeams;

    @Option(names = "--batch-size", defaultValue = "8", description = "Images per batch (default ${DEFAULT-VALUE}).")
    private int batchSize;

    @Option(names = "--json", description = "One JSON object per line: image, prompt, text.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        if (maxNewTokens < 1 || batchSize < 1) {
            throw new ParameterException(spec.commandLine(), "--max-new-tokens and --batch-size must be positive");
        }
        if (numBeams != 1) {
            throw new ParameterException(spec.commandLine(), "--num-beams " + numBeams
                    + ": beam search is not implemented yet (use 1)");
        }
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        try (Blip2Captioner captioner = Blip2Captioner.load(model)) {
            for (int from = 0; from < images.size(); from += batchSize) {
                List<Path> batch = images.subList(from, Math.min(images.size(), from + batchSize));
                List<String> texts = captioner.caption(batch, prompt, maxNewTokens);
                for (int i = 0; i < batch.size(); i++) {
                    if (json) {
                        ObjectNode line = mapper.createObjectNode();
                        line.put("image", batch.get(i).toString());
                        line.put("prompt", prompt);
                        line.put("text", texts.get(i));
                        out.println(mapper.writeValueAsString(line));
                    } else {
                        out.println(batch.get(i) + "\t" + texts.get(i));
                    }
                }
                out.flush();
            }
        }
        return ExitStatus.OK;
    }
}
