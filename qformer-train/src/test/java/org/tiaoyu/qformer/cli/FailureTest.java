package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.BadInputException;

class FailureTest {

    @Test
    void messagesAreOneLine() {
        assertEquals(new Failure(ExitStatus.BAD_INPUT, "a.json: line one line two"),
                Failure.of(new BadInputException("a.json: line one\n  line two")));
    }

    @Test
    void fileSystemExceptionsGetAReason() {
        assertEquals("/a -> /b: no such file or directory",
                Failure.of(new NoSuchFileException("/a", "/b", null)).message());
        assertEquals("/a: Read-only file system",
                Failure.of(new FileSystemException("/a", null, "Read-only file system")).message());
    }

    @Test
    void exceptionsWithoutAMessageAreNamed() {
        assertEquals(new Failure(ExitStatus.BAD_INPUT, "java.lang.IllegalArgumentException"),
                Failure.of(new IllegalArgumentException()));
        assertEquals(new Failure(ExitStatus.INTERNAL_ERROR, "internal error: java.lang.NullPointerException"),
                Failure.of(new NullPointerException()));
    }
}
