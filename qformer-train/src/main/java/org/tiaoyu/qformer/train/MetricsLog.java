package org.tiaoyu.qformer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per line, appended and flushed as each step ends (DESIGN §5). Doubles are
 * written as {@link Double#toString} writes them, so they read back exactly; a value that is not finite is
 * written as {@code null}. A resumed run appends; when the same step appears twice, the last line counts.
 */
final class MetricsLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter out;

    /**
     * Opens {@code file} for appending, first cutting off a last line that a killed process left unfinished (no
     * newline at its end).
     */
    MetricsLog(Path file) throws IOException {
        if (Files.exists(file)) {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                long end = raf.length();
                long keep = end;
                while (keep > 0) {
                    raf.seek(keep - 1);
                    if (raf.read() == '\n') {
                        break;
                    }
                    keep--;
                }
                if (keep < end) {
                    raf.setLength(keep);
                }
            }
        }
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    void append(JsonNode line) throws IOException {
        out.write(JSON.writeValueAsString(line));
        out.write('\n');
        out.flush();
    }

    /** The lines of a metrics file, each parsed, in order. */
    static List<JsonNode> read(Path file) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
