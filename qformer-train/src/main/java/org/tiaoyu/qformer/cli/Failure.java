package org.tiaoyu.qformer.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.MemoryBudget;
import org.tiaoyu.qformer.train.TrainingStoppedException;

/**
 * What the user is told about an exception that ended a command: its exit status and the one-line message
 * after {@code error: }. This is the bad-input policy of DESIGN §5, in one place.
 *
 * @param status  {@link ExitStatus#BAD_INPUT} or {@link ExitStatus#INTERNAL_ERROR}
 * @param message one line, naming the file and the problem where there is one
 */
record Failure(int status, String message) {

    /** Classifies {@code t}: problems with the user's input are {@link ExitStatus#BAD_INPUT}, the rest bugs. */
    static Failure of(Throwable t) {
        for (Throwable cause = t; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutOfMemoryError oom) {
                // Work too big for the limits set: the user can ask for less or allow more, so it is bad input.
                return new Failure(ExitStatus.BAD_INPUT, "out of memory (" + messageOf(oom) + "): the limits are "
                        + MemoryBudget.limits() + "; ask for less (--batch-size, --num-beams) or raise them");
            }
        }
        if (t instanceof TrainingStoppedException stopped) {
            return new Failure(ExitStatus.TRAINING_STOPPED, messageOf(stopped));
        }
        if (t instanceof UncheckedIOException u) {
            return of(u.getCause());
        }
        if (t instanceof BadInputException || t instanceof IllegalArgumentException) {
            // IllegalArgumentException: a config record or option value that failed validation.
            return new Failure(ExitStatus.BAD_INPUT, messageOf(t));
        }
        if (t instanceof FileSystemException fs) {
            return new Failure(ExitStatus.BAD_INPUT, describe(fs));
        }
        if (t instanceof IOException) {
            return new Failure(ExitStatus.BAD_INPUT, messageOf(t));
        }
        return new Failure(ExitStatus.INTERNAL_ERROR, "internal error: " + oneLine(t.toString()));
    }

    /** {@code PATH: reason}, with a reason for the exceptions Java leaves without one. */
    private static String describe(FileSystemException e) {
        if (e.getFile() == null) {
            return messageOf(e);
        }
        String reason = e.getReason() != null ? e.getReason()
                : e instanceof NoSuchFileException ? "no such file or directory"
                : e instanceof AccessDeniedException ? "permission denied"
                : e instanceof FileAlreadyExistsException ? "already exists"
                : e instanceof NotDirectoryException ? "not a directory"
                : e instanceof DirectoryNotEmptyException ? "directory not empty"
                : e.getClass().getSimpleName();
        String files = e.getOtherFile() == null ? e.getFile() : e.getFile() + " -> " + e.getOtherFile();
        return oneLine(files + ": " + reason);
    }

    private static String messageOf(Throwable t) {
        return oneLine(t.getMessage() != null ? t.getMessage() : t.toString());
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
