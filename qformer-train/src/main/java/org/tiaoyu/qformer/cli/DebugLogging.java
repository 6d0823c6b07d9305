package org.tiaoyu.qformer.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Turns every logger to DEBUG for one run of {@code qformer --debug}, through the logback API, and restores the
 * levels of {@code logback.xml} when closed (so in-process runs, as in the tests, do not leak the setting).
 */
final class DebugLogging implements AutoCloseable {
    private final Map<Logger, Level> saved;

    private DebugLogging(Map<Logger, Level> saved) {
        this.saved = saved;
    }

    static DebugLogging enable() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Map<Logger, Level> saved = new LinkedHashMap<>();
        for (Logger logger : context.getLoggerList()) {
            if (logger.getLevel() != null) {
                saved.put(logger, logger.getLevel());
                logger.setLevel(Level.DEBUG);
            }
        }
        return new DebugLogging(saved);
    }

    @Override
    public void close() {
        saved.forEach(Logger::setLevel);
    }
}
