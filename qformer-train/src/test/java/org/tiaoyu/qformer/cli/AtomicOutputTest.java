package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicOutputTest {

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
        try (AtomicOutput out = AtomicOutput.create(target)) {
            assertEquals(dir, out.path().getParent(), "the temporary file is beside the target");
            assertTrue(out.path().getFileName().toString().startsWith(".out.safetensors."), out.path().toString());
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
        IOException e = assertThrows(IOException.class, () -> AtomicOutput.write(target, temp -> {
            Files.writeString(temp, "half");
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals(List.of(), filesInDir());
    }

    @Test
    void failureKeepsTheOldFile() throws IOException {
        Path target = Files.writeString(dir.resolve("out.json"), "old");
        assertThrows(IllegalStateException.class, () -> AtomicOutput.write(target, temp -> {
            Files.writeString(temp, "new but broken");
            throw new IllegalStateException("bug");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.json"), filesInDir());
    }

    @Test
    void commitReplacesAnExistingFile() throws IOException {
        Path target = Files.writeString(dir.resolve("out.json"), "old");
        AtomicOutput.write(target, temp -> Files.writeString(temp, "new"));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("out.json"), filesInDir());
    }

    @Test
    void missingDirectoryIsNamed() {
        Path missing = dir.resolve("no/such/dir");
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> AtomicOutput.create(missing.resolve("out.safetensors")));
        assertEquals(missing + ": output directory does not exist", Failure.of(e).message());
    }

    @Test
    void targetMustNotBeADirectory() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("out"));
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicOutput.create(sub));
        assertEquals(sub + ": is a directory", Failure.of(e).message());
        assertEquals(List.of("out"), filesInDir());
    }

    @Test
    void commitTwiceIsABug() throws IOException {
        try (AtomicOutput out = AtomicOutput.create(dir.resolve("x"))) {
            out.commit();
            assertThrows(IllegalStateException.class, out::commit);
        }
    }
}
