package org.tiaoyu.qformer.core.io.safetensors;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * A safetensors file or checkpoint index that cannot be used: missing, unreadable, or breaking the
 * <a href="https://github.com/huggingface/safetensors#format">safetensors format</a>. The message is one line,
 * {@code "<file>: <problem>"}, for example
 * {@code "/x/model.safetensors: header length 9999999999 is past the end of the file (1234 bytes)"}.
 */
public class SafetensorsException extends BadInputException {

    /** Longest tensor name or JSON excerpt quoted in a message; a fuzzed header can hold megabytes. */
    private static final int MAX_QUOTED = 200;

    public SafetensorsException(Path file, String problem) {
        super(file + ": " + oneLine(problem));
    }

    public SafetensorsException(Path file, String problem, Throwable cause) {
        super(file + ": " + oneLine(problem), cause);
    }

    /** An I/O failure while {@code action} (e.g. "cannot read") on {@code file}, with a short reason. */
    static SafetensorsException io(Path file, String action, IOException e) {
        String reason;
        if (e instanceof NoSuchFileException) {
            reason = "no such file or directory";
        } else if (e instanceof AccessDeniedException) {
            reason = "permission denied";
        } else {
            reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        return new SafetensorsException(file, action + ": " + reason, e);
    }

    /** A tensor name in single quotes, control characters escaped and cut to a readable length. */
    static String quote(String name) {
        return "'" + abbreviate(name) + "'";
    }

    /** {@code text} with control characters escaped and cut to a readable length. */
    static String abbreviate(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < MAX_QUOTED; i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.length() < MAX_QUOTED ? out.toString() : out + "...";
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\R", " ");
    }
}
