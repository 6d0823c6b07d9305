package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code qformer demo --quick --json}, the CI smoke run: it trains end to end and its held-out figures beat chance
 * (1 in 30 for recall in its 30-picture gallery; 0.381 for the share of attributes a caption names right — its
 * captions are too few to beat the (1/24)²/2 chance of a wholly right one reliably).
 */
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void theQuickRunBeatsChanceOnHeldOutPictures() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Path run = dir.resolve("run");
        int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), new String[] {"demo", "--quick",
            "--json", "--out", run.toString()});
        assertEquals(0, status, err.toString());
        List<String> lines = out.toString().lines().toList();
        JsonNode figures = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertTrue(figures.get("t2i_r1").asDouble() > 2.0 / 30, figures.toString());
        assertTrue(figures.get("i2t_r1").asDouble() > 2.0 / 30, figures.toString());
        assertTrue(figures.get("attribute_accuracy").asDouble() > 0.45, figures.toString() + " (chance: 0.381)");
        assertTrue(figures.get("caption_accuracy").asDouble() >= 0, figures.toString());
        assertTrue(figures.get("seconds").asDouble() > 0);
        assertTrue(err.toString().contains("[7/7] evaluation"), "the phases are shown");
        assertTrue(Files.isDirectory(run.resolve("stage2")));
        assertTrue(Files.size(run.resolve("report.html")) > 10_000, "the report, pictures inlined");

        StringWriter again = new StringWriter();
        int refused = QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(again),
                new String[] {"demo", "--quick", "--out", run.toString()});
        assertEquals(2, refused);
        assertTrue(again.toString().startsWith("error: " + run + ": not empty"), again.toString());
    }
}
