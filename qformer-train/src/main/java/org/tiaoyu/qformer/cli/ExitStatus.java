package org.tiaoyu.qformer.cli;

/** The exit statuses of {@code qformer} (DESIGN §5); they match picocli's {@code CommandLine.ExitCode}. */
public final class ExitStatus {
    /** The command did what was asked. */
    public static final int OK = 0;
    /** A bug or an environment failure (out of memory, native library): {@code error: internal error: …}. */
    public static final int INTERNAL_ERROR = 1;
    /** Bad input: a bad flag, a missing or corrupt file, an invalid config. Nothing was written. */
    public static final int BAD_INPUT = 2;
    /** Training could not go on (e.g. too many non-finite steps in a row); the last checkpoint is intact. */
    public static final int TRAINING_STOPPED = 1;

    private ExitStatus() {}
}
