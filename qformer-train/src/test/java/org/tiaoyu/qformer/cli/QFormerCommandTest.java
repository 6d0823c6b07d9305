package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.core.config.ModelConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The top command and the error policy of DESIGN §5, run in-process. */
class QFormerCommandTest {

    @TempDir
    Path dir;

    /** What a run printed and returned. */
    record Result(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    /** Runs {@code qformer args} with the test subcommands below registered. */
    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new QFormerCommand())
                .addSubcommand(new FailCommand(dir))
                .addSubcommand(new CountCommand())
                .addSubcommand(new LogLevelCommand());
        int status = QFormerCommand.run(QFormerCommand.configure(cl, new PrintWriter(out), new PrintWriter(err)), args);
        return new Result(status, out.toString(), err.toString());
    }

    /** Checks the run ended with exactly one line on stderr, {@code error: <message>}, and nothing on stdout. */
    private static void assertOneErrorLine(Result r, int status, String message) {
        assertEquals(status, r.status(), r.err());
        assertEquals(List.of("error: " + message), r.errLines());
        assertEquals("", r.out());
    }

    private static String hinted(String message) {
        return message + ErrorReporter.DEBUG_HINT;
    }

    // --- help, version, success ------------------------------------------------------------------------------

    @Test
    void helpListsTheCommands() {
        Result r = run("--help");
        assertEquals(ExitStatus.OK, r.status());
        assertTrue(r.out().startsWith("Usage: qformer [-hV] [--debug] [COMMAND]"), r.out());
        assertTrue(r.out().contains("Commands:"), r.out());
        assertTrue(r.out().contains("  help "), r.out());
        assertTrue(r.out().contains("  fail "), r.out());
        assertEquals("", r.err());
    }

    @Test
    void subcommandsInheritHelpAndDebug() {
        Result r = run("count", "--help");
        assertEquals(ExitStatus.OK, r.status());
        assertTrue(r.out().startsWith("Usage: qformer count [-hV] [--debug] --count=<count>"), r.out());
        assertEquals(r.out(), run("help", "count").out());
    }

    @Test
    void versionIsTheProjectVersion() {
        Result r = run("--version");
        assertEquals(ExitStatus.OK, r.status());
        assertTrue(r.out().matches("(?s)qformer \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\nJava .*"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void successIsZeroAndQuiet() {
        Result r = run("count", "--count", "3");
        assertEquals(ExitStatus.OK, r.status());
        assertEquals("3\n", r.out());
        assertEquals("", r.err());
    }

    // --- bad flags --------------------------------------------------------------------------------------------

    @Test
    void unknownFlag() {
        assertOneErrorLine(run("--bogus"), ExitStatus.BAD_INPUT, "Unknown option: '--bogus' (see 'qformer --help')");
        assertOneErrorLine(run("count", "--count", "1", "--bogus"), ExitStatus.BAD_INPUT,
                "Unknown option: '--bogus' (see 'qformer count --help')");
    }

    @Test
    void misspelledFlagGetsASuggestion() {
        assertOneErrorLine(run("--debu"), ExitStatus.BAD_INPUT,
                "Unknown option: '--debu' (did you mean --debug?) (see 'qformer --help')");
    }

    @Test
    void missingOption() {
        assertOneErrorLine(run("count"), ExitStatus.BAD_INPUT,
                "Missing required option: '--count=<count>' (see 'qformer count --help')");
    }

    @Test
    void badValue() {
        Result r = run("count", "--count", "many");
        assertEquals(ExitStatus.BAD_INPUT, r.status());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("error: Invalid value for option '--count': 'many' is not an int"), r.err());
    }

    @Test
    void noCommand() {
        assertOneErrorLine(run(), ExitStatus.BAD_INPUT, "missing command (see 'qformer --help')");
    }

    // --- bad input from a command ------------------------------------------------------------------------------

    @Test
    void badInputIsOneLineNamingTheFile() {
        assertOneErrorLine(run("fail", "bad-input"), ExitStatus.BAD_INPUT,
                hinted("/data/model/model.safetensors: header length 9999999999 is past the end of the file"));
    }

    @Test
    void invalidConfigJson() {
        Result r = run("fail", "config");
        assertOneErrorLine(r, ExitStatus.BAD_INPUT,
                hinted(dir.resolve("config.json") + ": qformer_config.hidden_size: expected an integer, got \"big\""));
    }

    @Test
    void fileSystemErrorsNameThePath() {
        assertOneErrorLine(run("fail", "no-such-file"), ExitStatus.BAD_INPUT,
                hinted("/data/missing.safetensors: no such file or directory"));
        assertOneErrorLine(run("fail", "access-denied"), ExitStatus.BAD_INPUT,
                hinted("/data/secret.safetensors: permission denied"));
        assertOneErrorLine(run("fail", "unchecked-io"), ExitStatus.BAD_INPUT,
                hinted("/data/missing.png: no such file or directory"));
        assertOneErrorLine(run("fail", "io"), ExitStatus.BAD_INPUT, hinted("/data/out: No space left on device"));
    }

    @Test
    void configValidationIsBadInput() {
        assertOneErrorLine(run("fail", "illegal-argument"), ExitStatus.BAD_INPUT,
                hinted("num_query_tokens must be positive, got 0"));
    }

    @Test
    void debugPrintsTheStackTrace() {
        for (String[] args : new String[][] {{"--debug", "fail", "bad-input"}, {"fail", "--debug", "bad-input"}}) {
            Result r = run(args);
            assertEquals(ExitStatus.BAD_INPUT, r.status());
            List<String> lines = r.errLines();
            assertEquals("error: /data/model/model.safetensors: header length 9999999999 is past the end of the file",
                    lines.get(0));
            assertTrue(lines.get(1).startsWith(BadInputException.class.getName() + ": "), r.err());
            assertTrue(lines.stream().anyMatch(l -> l.contains("at " + FailCommand.class.getName())), r.err());
        }
    }

    // --- bugs --------------------------------------------------------------------------------------------------

    @Test
    void unexpectedExceptionIsAnInternalError() {
        assertOneErrorLine(run("fail", "bug"), ExitStatus.INTERNAL_ERROR,
                hinted("internal error: java.lang.IllegalStateException: tensor arena closed twice"));
    }

    @Test
    void errorsAreInternalErrorsToo() {
        assertOneErrorLine(run("fail", "error"), ExitStatus.INTERNAL_ERROR,
                hinted("internal error: java.lang.StackOverflowError"));
        Result r = run("--debug", "fail", "error");
        assertEquals(ExitStatus.INTERNAL_ERROR, r.status());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void runningOutOfMemoryIsBadInputThatNamesTheLimits() {
        for (String kind : List.of("oom", "wrapped-oom")) {
            Result r = run("fail", kind);
            assertEquals(ExitStatus.BAD_INPUT, r.status(), r.err());
            List<String> lines = r.errLines();
            assertEquals(1, lines.size(), r.err());
            assertTrue(lines.get(0).startsWith("error: out of memory (Java heap space): the limits are -Xmx "),
                    lines.get(0));
            assertTrue(lines.get(0).contains("-Dorg.bytedeco.javacpp.maxphysicalbytes"), lines.get(0));
        }
    }

    // --- output files ------------------------------------------------------------------------------------------

    @Test
    void aFailedCommandLeavesNoOutputFile() throws IOException {
        assertOneErrorLine(run("fail", "half-written"), ExitStatus.BAD_INPUT,
                hinted("/data/in.safetensors: tensor pixel_values has shape [2, 3]"
                        + " but the model needs [2, 3, 32, 32]"));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }

    // --- logging -----------------------------------------------------------------------------------------------

    @Test
    void debugTurnsLoggingToDebugForTheRunOnly() {
        assertEquals("false\n", run("log-level").out());
        assertEquals("true\n", run("--debug", "log-level").out());
        assertEquals("true\n", run("log-level", "--debug").out());
        assertEquals("false\n", run("log-level").out());
    }

    // --- test subcommands --------------------------------------------------------------------------------------

    /** Throws what the test asks for. */
    @Command(name = "fail", description = "Fails the way the test asks.")
    static final class FailCommand implements Callable<Integer> {
        private final Path dir;

        @Parameters(index = "0")
        String kind;

        FailCommand(Path dir) {
            this.dir = dir;
        }

        @Override
        public Integer call() throws Exception {
            switch (kind) {
                case "bad-input" -> throw new BadInputException(
                        "/data/model/model.safetensors: header length 9999999999 is past the end of the file");
                case "config" -> {
                    Files.writeString(dir.resolve("config.json"),
                            "{\"model_type\": \"blip-2\", \"qformer_config\": {\"hidden_size\": \"big\"}}");
                    ModelConfig.read(dir);
                }
                case "no-such-file" -> throw new NoSuchFileException("/data/missing.safetensors");
                case "access-denied" -> throw new AccessDeniedException("/data/secret.safetensors");
                case "unchecked-io" -> throw new UncheckedIOException(new NoSuchFileException("/data/missing.png"));
                case "io" -> throw new IOException("/data/out: No space left on device");
                case "illegal-argument" ->
                        throw new IllegalArgumentException("num_query_tokens must be positive, got 0");
                case "bug" -> throw new IllegalStateException("tensor arena closed twice");
                case "oom" -> throw new OutOfMemoryError("Java heap space");
                case "wrapped-oom" -> throw new java.util.concurrent.CompletionException(
                        new OutOfMemoryError("Java heap space"));
                case "error" -> throw new StackOverflowError();
                case "half-written" -> AtomicFile.write(dir.resolve("out.safetensors"), temp -> {
                    Files.writeString(temp, "partial");
                    throw new BadInputException("/data/in.safetensors: tensor pixel_values has shape [2, 3]"
                            + " but the model needs [2, 3, 32, 32]");
                });
                default -> throw new AssertionError(kind);
            }
            return ExitStatus.OK;
        }
    }

    /** A command with a required int option. */
    @Command(name = "count", description = "Prints its count.")
    static final class CountCommand implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--count", required = true)
        int count;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(count);
            return ExitStatus.OK;
        }
    }

    /** Prints whether ND4J's logger is at DEBUG. */
    @Command(name = "log-level")
    static final class LogLevelCommand implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            boolean debug = LoggerFactory.getLogger("org.nd4j.linalg.factory.Nd4j").isDebugEnabled();
            spec.commandLine().getOut().println(debug);
            return ExitStatus.OK;
        }
    }
}
