package org.tiaoyu.qformer.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * Writes a file all or nothing, so that a failed or killed write leaves the target as it was and nothing beside it.
 * The data goes to a hidden temporary file in the target's directory, {@code .NAME.PID-RANDOM.tmp}; {@link #commit}
 * renames it onto the target (atomically where the file system can); closing without a commit deletes it.
 *
 * <ul>
 * <li>SIGTERM, Ctrl-C or {@code System.exit} during a write: a shutdown hook deletes the temporary files of the
 *     writes still in progress.</li>
 * <li>SIGKILL cannot be caught: the next write of the same target deletes the temporary files whose process is
 *     gone (the PID in the name says whose they are).</li>
 * <li>A replaced file keeps its permissions. A symbolic link at the target is replaced by the new file, not
 *     followed.</li>
 * </ul>
 *
 * <pre>{@code
 * try (AtomicFile out = AtomicFile.create(target)) {
 *     writeTensors(out.path());
 *     out.commit();
 * }
 * }</pre>
 */
public final class AtomicFile implements AutoCloseable {

    /** The temporary files of this JVM's writes in progress, for the shutdown hook. */
    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();
    private static final long PID = ProcessHandle.current().pid();
    /** What follows {@code .NAME.}: this version's {@code PID-RANDOM.tmp}, or an older version's random hex. */
    private static final Pattern TEMP_SUFFIX = Pattern.compile("(?:(\\d{1,18})-[0-9a-f]+|[0-9a-f-]{8,36})\\.tmp");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> IN_PROGRESS.forEach(AtomicFile::deleteQuietly),
                "atomic-file-cleanup"));
    }

    private final Path target;
    private final Path temp;
    private boolean committed;

    private AtomicFile(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    /**
     * Creates the (empty) temporary file for {@code target}, after deleting the ones that earlier, killed writes of
     * it left behind.
     *
     * @throws BadInputException when the path is empty, its directory does not exist or cannot be written, or the
     *                           target is a directory; the message names the path and the problem
     */
    public static AtomicFile create(Path target) throws IOException {
        if (target.toString().isEmpty() || target.getFileName() == null) {
            throw new BadInputException("'" + target + "': not a file name (the output path is empty)");
        }
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(dir + ": " + (Files.exists(dir) ? "not a directory"
                    : "output directory does not exist"));
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new BadInputException(target + ": is a directory");
        }
        sweep(dir, target.getFileName().toString());
        Path temp = dir.resolve("." + target.getFileName() + "." + PID + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
        try {
            Files.createFile(temp);
        } catch (AccessDeniedException e) {
            throw new BadInputException(target + ": cannot be written (permission denied in " + dir + ")", e);
        } catch (FileSystemException e) {
            // e.g. /proc/version: the directory exists, but no file can be made in it
            String reason = e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
            throw new BadInputException(target + ": cannot be written (no file can be created in " + dir + ": "
                    + reason + ")", e);
        }
        IN_PROGRESS.add(temp);
        return new AtomicFile(target, temp);
    }

    /**
     * Checks, before any work, that {@code target} can be written as {@link #create} would (and creates and
     * deletes a temporary file to be sure).
     *
     * @throws BadInputException as {@link #create} does
     */
    public static void requireWritable(Path target) throws IOException {
        try (AtomicFile probe = create(target)) {
            // nothing to write
        }
    }

    /** Writes {@code target} with {@code writer}, which fills the temporary file it is given. */
    public static void write(Path target, Writer writer) throws IOException {
        try (AtomicFile out = create(target)) {
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

    /** Syncs the written file to disk and moves it onto the target, replacing any file there. */
    public void commit() throws IOException {
        if (committed) {
            throw new IllegalStateException(target + " is already committed");
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        keepPermissionsOf(target);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
        IN_PROGRESS.remove(temp);
    }

    /** Deletes the temporary file unless it was committed. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            Files.deleteIfExists(temp);
            IN_PROGRESS.remove(temp);
        }
    }

    /** Gives the temporary file the permissions of the regular file it is about to replace. */
    private void keepPermissionsOf(Path replaced) throws IOException {
        if (!Files.isRegularFile(replaced, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        PosixFileAttributeView from = Files.getFileAttributeView(replaced, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        PosixFileAttributeView to = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
        if (from != null && to != null) {
            to.setPermissions(from.readAttributes().permissions());
        }
    }

    /** Deletes the temporary files of {@code name} in {@code dir} that no live write of this or another JVM owns. */
    private static void sweep(Path dir, String name) throws IOException {
        String prefix = "." + name + ".";
        List<Path> candidates;
        try (var files = Files.list(dir)) {
            candidates = files.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        for (Path candidate : candidates) {
            Matcher m = TEMP_SUFFIX.matcher(candidate.getFileName().toString().substring(prefix.length()));
            if (m.matches() && !ownedByALiveWrite(candidate, m.group(1))) {
                deleteQuietly(candidate);
            }
        }
    }

    private static boolean ownedByALiveWrite(Path temp, String pid) {
        if (pid == null) {
            return false;                                  // an older version's name: its writer is long gone
        }
        long owner = Long.parseLong(pid);
        return owner == PID ? IN_PROGRESS.contains(temp)
                : ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // best effort: a temporary file that cannot be deleted now is swept by the next write
        }
    }

    /** Fills the temporary file of an {@link AtomicFile}. */
    @FunctionalInterface
    public interface Writer {
        void write(Path temp) throws IOException;
    }
}
