package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.pipeline.Blip2Matcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code qformer match} (DESIGN §5): the ITM probability and ITC score of an image with each text. */
@Command(name = "match", description = "Score an image against texts with a Blip2ForImageTextRetrieval model.")
final class MatchCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A Blip2ForImageTextRetrieval directory with its tokenizer and processor files.")
    private Path model;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "The image.")
    private Path image;

    @Option(names = "--text", required = true, paramLabel = "T", description = "A text to score (repeatable).")
    private List<String> texts;

    @Option(names = "--json", description = "One JSON object per line: image, text, itm, itc.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        try (Blip2Matcher matcher = Blip2Matcher.load(model)) {
            for (Blip2Matcher.Match m : matcher.match(image, texts)) {
                if (json) {
                    ObjectNode line = mapper.createObjectNode();
                    line.put("image", image.toString());
                    line.put("text", m.text());
                    line.put("itm", m.itmProbability());
                    line.put("itc", m.itcScore());
                    out.println(mapper.writeValueAsString(line));
                } else {
                    out.printf("%s\t%s\titm %.4f\titc %.4f%n", image, m.text(), m.itmProbability(), m.itcScore());
                }
            }
        }
        out.flush();
        return ExitStatus.OK;
    }
}
