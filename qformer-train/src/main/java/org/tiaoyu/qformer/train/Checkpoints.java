package org.tiaoyu.qformer.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code checkpoint-STEP} folders of an output directory. A checkpoint is written whole under a temporary name
 * ({@code .checkpoint-STEP.tmp-PID}), every file and the folder flushed to disk, then renamed: a crash at any moment
 * leaves either the complete new checkpoint or none, and the previous ones untouched. Only complete checkpoints
 * carry the name {@code checkpoint-STEP}; temporaries of runs that died are removed by the next run.
 */
final class Checkpoints {

    static final String PREFIX = "checkpoint-";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String STATE_FILE = "trainer_state.json";
    static final String METRICS_FILE = "metrics.jsonl";

    /** For crash tests: milliseconds to wait after a checkpoint's files are written and before it is renamed. */
    static final String PAUSE_PROPERTY = "qformer.checkpoint.pause-ms";

    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)");
    private static final Pattern TEMPORARY = Pattern.compile("\\." + Pattern.quote(PREFIX) + "\\d+\\.tmp-.*");

    /** What goes into a checkpoint folder. */
    @FunctionalInterface
    interface Contents {
        void write(Path dir) throws IOException;
    }

    private Checkpoints() {}

    /** The step of a checkpoint folder's name, or -1 when it is not one. */
    static int stepOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Where the checkpoint of {@code step} is (or would be). */
    static Path pathOf(Path outputDir, int step) {
        return outputDir.resolve(PREFIX + step);
    }

    /** The complete checkpoints of {@code outputDir}, oldest first. */
    static List<Path> list(Path outputDir) {
        if (!Files.isDirectory(outputDir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(outputDir)) {
            return entries.filter(p -> stepOf(p) >= 0 && Files.isRegularFile(p.resolve(STATE_FILE)))
                    .sorted(Comparator.comparingInt(Checkpoints::stepOf)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The newest complete checkpoint. */
    static Optional<Path> newest(Path outputDir) {
        List<Path> all = list(outputDir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Writes {@code checkpoint-STEP} atomically, replacing one of that name; returns its path. */
    static Path write(Path outputDir, int step, Contents contents) throws IOException {
        Path target = pathOf(outputDir, step);
        Path temp = outputDir.resolve("." + PREFIX + step + ".tmp-" + ProcessHandle.current().pid());
        deleteTree(temp);
        Files.createDirectory(temp);
        try {
            contents.write(temp);
            try (Stream<Path> files = Files.list(temp)) {
                for (Path f : files.toList()) {
                    force(f);
                }
            }
            force(temp);
            pauseForCrashTests();
            if (Files.exists(target)) {
                Path old = outputDir.resolve("." + PREFIX + step + ".tmp-replaced-" + ProcessHandle.current().pid());
                move(target, old);
                move(temp, target);
                deleteTree(old);
            } else {
                move(temp, target);
            }
            force(outputDir);
            return target;
        } finally {
            deleteTree(temp);
        }
    }

    /** Deletes all but the newest {@code keep} checkpoints and the one of step {@code best} (null: none). */
    static void prune(Path outputDir, int keep, Integer best) throws IOException {
        List<Path> all = list(outputDir);
        for (int i = 0; i < all.size() - keep; i++) {
            if (best == null || stepOf(all.get(i)) != best) {
                deleteTree(all.get(i));
            }
        }
    }

    /** Removes what killed runs left: temporary checkpoint folders. */
    static int sweepTemporaries(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return 0;
        }
        List<Path> stale;
        try (Stream<Path> entries = Files.list(outputDir)) {
            stale = entries.filter(p -> TEMPORARY.matcher(p.getFileName().toString()).matches()).toList();
        }
        for (Path p : stale) {
            deleteTree(p);
        }
        return stale.size();
    }

    private static void pauseForCrashTests() {
        long pause = Long.getLong(PAUSE_PROPERTY, 0);
        if (pause > 0) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(to + ": the file system cannot rename atomically, so checkpoints could be left "
                    + "half written", e);
        }
    }

    /** Flushes a file or a directory entry to disk. */
    static void force(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The checkpoints' steps, for messages. */
    static List<Integer> steps(Path outputDir) {
        List<Integer> out = new ArrayList<>();
        list(outputDir).forEach(p -> out.add(stepOf(p)));
        return out;
    }
}
