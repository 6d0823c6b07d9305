package org.tiaoyu.qformer.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.core.NativeBackend;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code qformer} command line (DESIGN §5). Subcommands are registered in {@code subcommands} below and
 * inherit {@code --help}, {@code --version} and {@code --debug}. Every subcommand fails the same way, through
 * {@link ErrorReporter}: exit status 2 and one {@code error:} line for bad input, 1 for anything else, the stack
 * trace only with {@code --debug}.
 *
 * <p>A subcommand is a {@code Callable<Integer>} (returning {@link ExitStatus#OK}) that throws
 * {@link org.tiaoyu.qformer.core.BadInputException} for bad input and writes its files with
 * {@link org.tiaoyu.qformer.core.io.AtomicFile}.
 */
@Command(
        name = "qformer",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "BLIP-2 and its Q-Former in pure Java.",
        subcommands = { // one line per subcommand
            HelpCommand.class,
            BenchCommand.class,
            CaptionCommand.class,
            DemoCommand.class,
            EvalCommand.class,
            FeaturesCommand.class,
            ForwardCommand.class,
            GenerateCommand.class,
            InspectCommand.class,
            MatchCommand.class,
            PreprocessCommand.class,
            RetrievalCommand.class,
            Stage1LossesCommand.class,
            TrainCommand.class,
            VqaCommand.class,
        })
public final class QFormerCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    /** Declares the flag; it is read from the parse result ({@link #debugRequested}), as a subcommand may
     *  carry it instead. */
    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Log everything at DEBUG level and print stack traces of errors.")
    private boolean debug;

    /** Without a subcommand there is nothing to do. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }

    /** The command line with all its subcommands, printing to {@code out} and {@code err}. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return configure(new CommandLine(new QFormerCommand()), out, err);
    }

    /**
     * Installs the writers, the error policy and {@code --debug} on {@code cl} and the subcommands it has now
     * (picocli applies these settings to the subcommands present when they are set).
     */
    static CommandLine configure(CommandLine cl, PrintWriter out, PrintWriter err) {
        ErrorReporter reporter = new ErrorReporter();
        return cl.setOut(out)
                .setErr(err)
                .setParameterExceptionHandler(reporter)
                .setExecutionExceptionHandler(reporter)
                .setExecutionStrategy(QFormerCommand::execute);
    }

    /** Runs {@code qformer args} and returns its exit status; never exits the JVM. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(commandLine(out, err), args);
    }

    /** Runs a command line set up by {@link #configure}. */
    static int run(CommandLine cl, String... args) {
        try {
            return cl.execute(args);
        } catch (Error e) {
            // picocli passes errors such as OutOfMemoryError through; they still end as one line.
            return ErrorReporter.report(e, cl.getErr(), debugRequested(cl.getParseResult()));
        }
    }

    public static void main(String[] args) {
        // The command line's quiet logging config; it is not named logback.xml, so that an application using the
        // library with Logback keeps its own. -Dlogback.configurationFile=… still overrides it.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "org/tiaoyu/qformer/cli/logback.xml");
        }
        NativeBackend.configure(); // before anything loads ND4J
        // JavaCPP (under ND4J) prints warnings straight to stderr unless told to log through SLF4J.
        if (System.getProperty("org.bytedeco.javacpp.logger") == null) {
            System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
        }
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Whether {@code --debug} was given, to the top command or a subcommand. */
    static boolean debugRequested(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }

    private static int execute(ParseResult parseResult) {
        if (!debugRequested(parseResult)) {
            return new RunLast().execute(parseResult);
        }
        try (DebugLogging ignored = DebugLogging.enable()) {
            return new RunLast().execute(parseResult);
        }
    }
}
