package org.tiaoyu.qformer.core.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Paths into the shared fixtures, whose root surefire passes as the {@code qformer.fixtures} property. */
public final class ConfigFixtures {
    private ConfigFixtures() {}

    /** The fixture at {@code rel} (e.g. {@code "hf/public/model"}) under the shared fixtures root. */
    public static Path fixture(String rel) {
        String root = System.getProperty("qformer.fixtures");
        if (root == null) {
            throw new IllegalStateException("system property qformer.fixtures is not set (run the tests with Maven)");
        }
        Path path = Path.of(root, rel);
        if (!Files.exists(path)) {
            throw new IllegalStateException("missing fixture " + path);
        }
        return path;
    }

    /** Writes {@code json} as {@code dir/config.json} and returns {@code dir}. */
    static Path writeConfig(Path dir, String json) {
        try {
            Files.writeString(dir.resolve("config.json"), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }
}
