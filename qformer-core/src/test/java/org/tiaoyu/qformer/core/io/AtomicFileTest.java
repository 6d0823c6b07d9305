package org.tiaoyu.qformer.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;

class AtomicFileTest {

    @TempDir
    Path dir;

    private List<String> filesInDir() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void commitMovesTheFileIntoPlace() throws IOException {
        Path target = dir.resolve("out.safetensors");
        try (AtomicFile out = AtomicFile.create(target)) {
            assertEquals(dir, out.path().getParent(), "the temporary file is beside the target");
            String name = out.path().getFileName().toString();
            assertTrue(name.matches("\\.out\\.safetensors\\." + ProcessHandle.current().pid() + "-[0-9a-f]+\\.tmp"),
                    name);
            Files.writeString(out.path(), "tensors");
            assertFalse(Files.exists(target), "nothing at the target before the commit");
            out.commit();
        }
        assertEquals("tensors", Files.readString(target));
        assertEquals(List.of("out.safetensors"), filesInDir());
    }

    @Test
    void failureLeavesNothingBehind() throws IOException {
        Path target = dir.resolve("out.safetensors");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(target, temp -> {
            Files.writeString(temp, "half");
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals(List.of(), filesInDir());
    }

    @Test
    void failureKeepsTheOldFile() throws IOException {
        Path target = Files.writeString(dir.resolve("out.json"), "old");
        assertThrows(IllegalStateException.class, () -> AtomicFile.write(target, temp -> {
            Files.writeString(temp, "new but broken");
            throw new IllegalStateException("bug");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.json"), filesInDir());
    }

    @Test
    void aReplacedFileKeepsItsPermissions() throws IOException {
        Path target = Files.writeString(dir.resolve("out.json"), "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        AtomicFile.write(target, temp -> Files.writeString(temp, "new"));
        assertEquals("new", Files.readString(target));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        assertEquals(List.of("out.json"), filesInDir());
    }

    @Test
    void aSymbolicLinkIsReplacedNotFollowed() throws IOException {
        Path elsewhere = Files.writeString(dir.resolve("elsewhere.json"), "untouched");
        Path link = Files.createSymbolicLink(dir.resolve("out.json"), elsewhere);
        AtomicFile.write(link, temp -> Files.writeString(temp, "new"));
        assertFalse(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(link));
        assertEquals("untouched", Files.readString(elsewhere));
    }

    @Test
    void pathsThatCannotBeWrittenAreNamed() throws IOException {
        Path missing = dir.resolve("no/such/dir");
        assertEquals(missing + ": output directory does not exist", assertThrows(BadInputException.class,
                () -> AtomicFile.create(missing.resolve("out.safetensors"))).getMessage());
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertEquals(file + ": not a directory", assertThrows(BadInputException.class,
                () -> AtomicFile.create(file.resolve("out.safetensors"))).getMessage());
        Path sub = Files.createDirectory(dir.resolve("out"));
        assertEquals(sub + ": is a directory",
                assertThrows(BadInputException.class, () -> AtomicFile.create(sub)).getMessage());
        assertEquals("'': not a file name (the output path is empty)",
                assertThrows(BadInputException.class, () -> AtomicFile.create(Path.of(""))).getMessage());
        // /proc exists and its files exist, but no file can be created there.
        String proc = assertThrows(BadInputException.class, () -> AtomicFile.create(Path.of("/proc/version")))
                .getMessage();
        assertTrue(proc.startsWith("/proc/version: cannot be written (no file can be created in /proc"), proc);
        assertEquals(List.of("file", "out"), filesInDir());
    }

    @Test
    void commitTwiceIsABug() throws IOException {
        try (AtomicFile out = AtomicFile.create(dir.resolve("x"))) {
            out.commit();
            assertThrows(IllegalStateException.class, out::commit);
        }
    }

    @Test
    void theNextWriteSweepsTheTemporaryFilesOfDeadWritersOnly() throws IOException {
        Path target = dir.resolve("out.safetensors");
        String dead = ".out.safetensors.2147483646-1f.tmp";                  // no such process
        String older = ".out.safetensors.0b4f6c1e-8a1d-4c7e-9a53-2f1d9c0e7b11.tmp"; // an older version's name
        String alive = ".out.safetensors.1-2e.tmp";                          // PID 1 is alive
        String other = ".out.safetensors.x.2147483646-1f.tmp";                // another target's
        for (String name : List.of(dead, older, alive, other)) {
            Files.writeString(dir.resolve(name), "partial");
        }
        try (AtomicFile inProgress = AtomicFile.create(dir.resolve("out.safetensors"))) {
            AtomicFile.write(target, temp -> Files.writeString(temp, "done"));   // sweeps again: keeps inProgress
            assertEquals(Stream.of(alive, other, inProgress.path().getFileName().toString(), "out.safetensors")
                    .sorted().toList(), filesInDir());
        }
    }

    @Test
    void sigtermDeletesTheTemporaryFileAndSigkillLeavesOneTheNextWriteSweeps() throws Exception {
        Path target = dir.resolve("out.bin");
        Process terminated = writer(target);
        terminated.destroy();                                                  // SIGTERM
        assertTrue(terminated.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of(), filesInDir(), "the shutdown hook removed the temporary file");

        Process killed = writer(target);
        killed.destroyForcibly();                                              // SIGKILL
        assertTrue(killed.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, filesInDir().size(), "a killed write leaves its temporary file");
        AtomicFile.write(target, temp -> Files.writeString(temp, "complete"));
        assertEquals(List.of("out.bin"), filesInDir());
        assertEquals("complete", Files.readString(target));
    }

    /** A JVM that is writing {@code target} (its temporary file exists) when this returns. */
    private static Process writer(Path target) throws IOException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SlowWriter.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("writing", out.readLine());
        return p;
    }

    /** Starts writing its argument and never finishes. */
    public static final class SlowWriter {
        public static void main(String[] args) throws Exception {
            AtomicFile.write(Path.of(args[0]), temp -> {
                Files.writeString(temp, "half");
                System.out.println("writing");
                System.out.flush();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }
}
