package org.tiaoyu.qformer.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where tests find the fixtures: the {@code qformer.fixtures} system property (surefire sets it to the repository's
 * {@code testdata}), else {@code ../testdata} from the module directory, which is surefire's working directory. A
 * missing fixture fails the test; nothing is skipped.
 */
public final class Fixtures {

    private Fixtures() {
    }

    /** @return the fixtures directory, absolute */
    public static Path root() {
        String property = System.getProperty("qformer.fixtures");
        Path configured = property != null && !property.isBlank() ? Path.of(property) : Path.of("../testdata");
        Path root = configured.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            fail("fixtures directory " + root + " not found (set -Dqformer.fixtures=...)");
        }
        return root;
    }

    /**
     * @param relative a path under the fixtures directory, e.g. {@code "hf/public/model/model.safetensors"}
     * @return its absolute path
     */
    public static Path path(String relative) {
        Path path = root().resolve(relative);
        if (!Files.exists(path)) {
            fail("fixture " + path + " not found");
        }
        return path;
    }
}
