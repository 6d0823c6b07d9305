package org.tiaoyu.qformer.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.autograd.Arena;

/**
 * Times a unit of work after warm-up; the measured runs are reported, never asserted on. Each run is one step in
 * an {@link Arena}, as training and inference run, so temporaries reuse the previous run's memory.
 */
public final class BenchRunner {

    private static final Logger LOG = LoggerFactory.getLogger(BenchRunner.class);

    private BenchRunner() {}

    public static BenchResult run(String name, int warmup, int steps, double flopsPerUnit, Runnable unit,
            Map<String, Object> details) {
        if (steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("need steps >= 1 and warmup >= 0, got " + steps + " and " + warmup);
        }
        for (int i = 0; i < warmup; i++) {
            step(name, unit);
        }
        double[] millis = new double[steps];
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            step(name, unit);
            millis[i] = (System.nanoTime() - start) / 1e6;
            LOG.info("{} run {}/{}: {} ms", name, i + 1, steps, String.format("%.2f", millis[i]));
        }
        return result(name, millis, flopsPerUnit, details);
    }

    /** A result with the memory figures read now: the resident set first, so that the peak read after it bounds it. */
    static BenchResult result(String name, double[] millis, double flopsPerUnit, Map<String, Object> details) {
        long endRssMb = memoryMb("VmRSS:");
        return new BenchResult(name, millis, flopsPerUnit, memoryMb("VmHWM:"), endRssMb, details);
    }

    private static void step(String name, Runnable unit) {
        try (var arena = Arena.open("bench-" + name)) {
            unit.run();
        }
    }

    /**
     * Resident memory (heap, off-heap arrays and native libraries) from /proc on Linux: {@code VmHWM:} the peak,
     * {@code VmRSS:} now; -1 elsewhere.
     */
    static long memoryMb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("no peak RSS: {}", e.toString());
        }
        return -1;
    }
}
