package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.tiaoyu.qformer.core.Fixtures;

/** The command line's logback config (org/tiaoyu/qformer/cli/logback.xml), loaded into a fresh context (tests
 *  themselves log with logback-test.xml), and found by the command line's main. */
class LoggingConfigTest {

    @TempDir
    Path dir;

    @Test
    void quietByDefaultOnStderr() throws Exception {
        LoggerContext context = new LoggerContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LoggingConfigTest.class.getResource("/org/tiaoyu/qformer/cli/logback.xml"));

        List<Status> problems = context.getStatusManager().getCopyOfStatusList().stream()
                .filter(s -> s.getLevel() >= Status.WARN).toList();
        assertEquals(List.of(), problems);

        assertEquals(Level.INFO, context.getLogger("org.tiaoyu.qformer.cli").getEffectiveLevel());
        assertEquals(Level.WARN, context.getLogger("org.nd4j.linalg.factory.Nd4jBackend").getEffectiveLevel());
        assertEquals(Level.WARN, context.getLogger("org.bytedeco.javacpp.Loader").getEffectiveLevel());
        assertEquals(Level.WARN, context.getLogger("ai.djl.huggingface.tokenizers").getEffectiveLevel());
        assertEquals(Level.ERROR, context.getLogger("ai.djl.util.cuda.CudaUtils").getEffectiveLevel());
        assertEquals(Level.WARN, context.getLogger("com.example").getEffectiveLevel());

        ConsoleAppender<?> console =
                (ConsoleAppender<?>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
        assertEquals("System.err", console.getTarget());
        context.stop();
    }

    /** The file is not called logback.xml (an application using the library keeps its own), so main names it:
     *  a run prints nothing on stderr, and with --debug its lines have the config's time stamps. */
    @Test
    void theCommandLinesMainUsesIt() throws Exception {
        assertEquals("", stderrOf("preprocess"));
        String debug = stderrOf("--debug", "preprocess");
        assertTrue(debug.lines().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} DEBUG .*")), debug);
    }

    private String stderrOf(String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), QFormerCommand.class.getName()));
        args.addAll(List.of(command));
        args.addAll(List.of("--size", "32", Fixtures.path("e2e/images/gray_257x129.png").toString(),
                "--out", dir.resolve("pixels.safetensors").toString()));
        Process p = new ProcessBuilder(args).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        return err;
    }
}
