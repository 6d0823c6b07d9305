package org.tiaoyu.qformer.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * Writes an output file all or nothing, so a failed command leaves no half-written file (DESIGN §5). The data
 * goes to a hidden temporary file in the target's directory; {@link #commit()} renames it onto the target
 * (atomically where the file system can); closing without a commit deletes it.
 *
 * <pre>{@code
 * try (AtomicOutput out = AtomicOutput.create(target)) {
 *     writeTensors(out.path());
 *     out.commit();
 * }
 * }</pre>
 */
public final class AtomicOutput implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private boolean committed;

    private AtomicOutput(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    /**
     * Creates the temporary file for {@code target}.
     *
     * @throws NoSuchFileException     when the target's directory does not exist
     * @throws AccessDeniedException   when the directory is not writable
     * @throws FileSystemException     when the target is a directory
     */
    public static AtomicOutput create(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "output directory does not exist");
        }
        if (Files.isDirectory(target)) {
            throw new FileSystemException(target.toString(), null, "is a directory");
        }
        Path temp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createFile(temp);
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(dir.toString(), null, "cannot write in this directory");
        }
        temp.toFile().deleteOnExit(); // also on Ctrl-C
        return new AtomicOutput(target, temp);
    }

    /** Writes {@code target} with {@code writer}, which fills the temporary file it is given. */
    public static void write(Path target, Writer writer) throws IOException {
        try (AtomicOutput out = create(target)) {
            writer.write(out.path());
            out.commit();
        }
    }

    /** The temporary file to write. */
    public Path path() {
        return temp;
    }

    /** The file the output becomes on {@link #commit()}. */
    public Path target() {
        return target;
    }

    /** Moves the written file onto the target, replacing any file there. */
    public void commit() throws IOException {
        if (committed) {
            throw new IllegalStateException(target + " is already committed");
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
    }

    /** Deletes the temporary file unless it was committed. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            Files.deleteIfExists(temp);
        }
    }

    /** Fills the temporary file of an {@link AtomicOutput}. */
    @FunctionalInterface
    public interface Writer {
        void write(Path temp) throws IOException;
    }
}
