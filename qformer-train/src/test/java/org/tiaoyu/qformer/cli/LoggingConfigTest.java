package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The command line's logback.xml, loaded into a fresh context (tests themselves log with logback-test.xml). */
class LoggingConfigTest {

    @Test
    void quietByDefaultOnStderr() throws Exception {
        LoggerContext context = new LoggerContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LoggingConfigTest.class.getResource("/logback.xml"));

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
}
