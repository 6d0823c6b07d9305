package org.tiaoyu.qformer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tiaoyu.qformer.core.Fixtures;

/** The repository's tiny example configs, copied for a test with absolute paths and changes. */
public final class TinyRun {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyRun() {}

    public static Path repository() {
        return Fixtures.root().getParent();
    }

    /** {@code examples/train/tiny-stage1.json} as {@link #config(Path, String, String...)} writes it. */
    public static Path stage1(Path dir, String... changes) {
        return config(dir, "tiny-stage1.json", changes);
    }

    /** {@code examples/train/tiny-stage2.json} as {@link #config(Path, String, String...)} writes it. */
    public static Path stage2(Path dir, String... changes) {
        return config(dir, "tiny-stage2.json", changes);
    }

    /**
     * Writes {@code dir/config.json}: the example config with its output in {@code dir/out} and {@code changes}
     * ({@code "model.dropout=0.1"}: a dotted field, {@code =}, a JSON value; {@code "loss=null"} removes one).
     */
    private static Path config(Path dir, String name, String... changes) {
        try {
            Path example = repository().resolve("examples/train").resolve(name);
            ObjectNode c = (ObjectNode) JSON.readTree(example.toFile());
            Path base = example.getParent();
            c.put("output_dir", dir.resolve("out").toString());
            ((ObjectNode) c.get("model")).put("path", base.resolve(c.get("model").get("path").asText()).normalize()
                    .toString());
            ((ObjectNode) c.get("data")).put("annotations", base.resolve(c.get("data").get("annotations").asText())
                    .normalize().toString());
            for (String change : changes) {
                String key = change.substring(0, change.indexOf('='));
                JsonNode value = JSON.readTree(change.substring(change.indexOf('=') + 1));
                ObjectNode parent = c;
                String[] parts = key.split("\\.");
                for (int i = 0; i < parts.length - 1; i++) {
                    parent = parent.has(parts[i]) ? (ObjectNode) parent.get(parts[i]) : parent.putObject(parts[i]);
                }
                if (value.isNull()) {
                    parent.remove(parts[parts.length - 1]);
                } else {
                    parent.set(parts[parts.length - 1], value);
                }
            }
            Path file = dir.resolve("config.json");
            Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
