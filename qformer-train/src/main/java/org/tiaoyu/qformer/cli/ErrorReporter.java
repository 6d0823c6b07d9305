package org.tiaoyu.qformer.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Prints why a command failed, once for every subcommand: one line on stderr starting {@code error: }, and the
 * stack trace only under {@code --debug}. Installed by {@link QFormerCommand#commandLine}.
 */
final class ErrorReporter implements IExecutionExceptionHandler, IParameterExceptionHandler {
    static final String DEBUG_HINT = " (run with --debug for the stack trace)";

    /** A bad flag, a missing option, a value that does not convert: {@link ExitStatus#BAD_INPUT}. */
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        StringBuilder line = new StringBuilder("error: ").append(Failure.oneLine(ex.getMessage()));
        if (ex instanceof UnmatchedArgumentException unmatched) {
            List<String> suggestions = unmatched.getSuggestions();
            if (!suggestions.isEmpty()) {
                line.append(" (did you mean ").append(String.join(" or ", suggestions)).append("?)");
            }
        }
        line.append(" (see '").append(cl.getCommandSpec().qualifiedName()).append(" --help')");
        PrintWriter err = cl.getErr();
        err.println(line);
        err.flush();
        return ExitStatus.BAD_INPUT;
    }

    /** An exception thrown by a command: classified by {@link Failure#of}. */
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        return report(ex, cl.getErr(), QFormerCommand.debugRequested(parseResult));
    }

    /** Prints {@code t} as the policy says and returns the exit status. */
    static int report(Throwable t, PrintWriter err, boolean debug) {
        Failure failure = Failure.of(t);
        err.println("error: " + failure.message() + (debug ? "" : DEBUG_HINT));
        if (debug) {
            t.printStackTrace(err);
        }
        err.flush();
        return failure.status();
    }
}
