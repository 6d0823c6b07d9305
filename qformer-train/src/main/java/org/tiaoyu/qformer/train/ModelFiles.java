package org.tiaoyu.qformer.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;

/** The files of a model directory that are not weights: config, tokenizer and processor files. */
final class ModelFiles {

    /** Weights, and the trainer's own files, which a checkpoint writes itself. */
    private static final Set<String> NOT_COPIED = Set.of(Checkpoint.SINGLE_FILE, Checkpoint.INDEX_FILE,
            Checkpoints.OPTIMIZER_FILE, Checkpoints.STATE_FILE, Checkpoints.METRICS_FILE);

    private ModelFiles() {}

    /** Copies every such file of {@code from} into {@code to}. */
    static void copy(Path from, Path to) {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (!NOT_COPIED.contains(name) && !name.endsWith(".safetensors") && !name.startsWith(".")) {
                    Files.copy(f, to.resolve(name));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
