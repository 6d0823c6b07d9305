package org.tiaoyu.qformer.core;

/**
 * A problem with what the user gave us: a missing or corrupt file, a checkpoint that does not fit the config, a
 * tensor of the wrong shape. The message is one line that names the file (or flag) and the problem; the command
 * line prints it after {@code error:} and exits with status 2. Bugs are other exceptions.
 */
public class BadInputException extends RuntimeException {

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
