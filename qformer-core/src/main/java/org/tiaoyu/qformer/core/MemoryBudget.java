package org.tiaoyu.qformer.core;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.LoggerFactory;

/**
 * The memory this JVM may still take, by the two limits that bound it, so that work which cannot fit is refused
 * before it starts rather than killed halfway:
 * <ul>
 * <li>the Java heap, {@code -Xmx} (Java arrays: token scores, decoded images);</li>
 * <li>the whole process, JavaCPP's {@code org.bytedeco.javacpp.maxphysicalbytes} (ND4J's arrays live outside the
 *     heap; JavaCPP compares the resident set, heap and mapped files included, with this limit whenever ND4J
 *     allocates, and throws {@link OutOfMemoryError} past it). Its default is 4 × {@code -Xmx}, which is why
 *     {@code -Xmx} alone does not bound the process; {@code ./qformer} sets both (docs/performance.md "Memory").</li>
 * </ul>
 */
public final class MemoryBudget {

    /** Seconds between {@link #collectOccasionally} collections: the property {@code qformer.gc.seconds}, 0 for never. */
    private static final long COLLECT_EVERY_NANOS = collectionIntervalOrDefault(System.getProperty("qformer.gc.seconds"));
    private static final AtomicLong LAST_COLLECTION = new AtomicLong(System.nanoTime());

    private MemoryBudget() {}

    /**
     * Runs Java's garbage collector when the last run through here is more than a second ago (the property
     * {@code qformer.gc.seconds}; 0 turns it off). ND4J frees the native memory of an array only when its Java handle
     * is collected, and a long loop over batches promotes many such handles to the old generation, where they wait
     * for a full collection: {@code qformer generate} over 1,500 images grew to 735 MB that way, and stays under
     * 300 MB with this called after every batch, for one collection of a small heap a second, which costs nothing
     * measurable (docs/performance.md "Memory"). Loops over batches call it once a batch.
     */
    public static void collectOccasionally() {
        long now = System.nanoTime();
        long last = LAST_COLLECTION.get();
        if (COLLECT_EVERY_NANOS > 0 && now - last > COLLECT_EVERY_NANOS && LAST_COLLECTION.compareAndSet(last, now)) {
            System.gc();
        }
    }

    private static final long DEFAULT_INTERVAL_NANOS = 1_000_000_000L;

    /** {@link #collectionInterval}, or the default with a warning: a tuning knob is not worth failing a run for. */
    private static long collectionIntervalOrDefault(String seconds) {
        try {
            return collectionInterval(seconds);
        } catch (IllegalArgumentException e) {
            LoggerFactory.getLogger(MemoryBudget.class).warn("{}; using 1 s", e.getMessage());
            return DEFAULT_INTERVAL_NANOS;
        }
    }

    /** The interval of {@link #collectOccasionally} in nanoseconds from the property's text: 1 s when unset. */
    static long collectionInterval(String seconds) {
        if (seconds == null || seconds.isBlank()) {
            return DEFAULT_INTERVAL_NANOS;
        }
        try {
            double value = Double.parseDouble(seconds.trim());
            if (value >= 0 && Double.isFinite(value)) {
                return (long) (value * 1e9);
            }
        } catch (NumberFormatException e) {
            // refused below, with the same message
        }
        throw new IllegalArgumentException("-Dqformer.gc.seconds=" + seconds
                + ": not a number of seconds (0 or more; 0 never collects)");
    }

    /** Bytes the Java heap may still grow by: its maximum less what is in use now. */
    public static long heapAvailable() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
    }

    /**
     * Bytes the process may still take: JavaCPP's limit less the resident set, and no more than the machine has
     * available.
     */
    public static long processAvailable() {
        long machine = machineAvailable().orElse(Long.MAX_VALUE);
        long limit = Pointer.maxPhysicalBytes();
        return limit > 0 ? Math.min(machine, limit - Pointer.physicalBytes()) : machine;
    }

    /**
     * Refuses work that needs more memory than is left.
     *
     * @param work        what needs the memory, e.g. {@code "num_beams 5 × 8 images (40 rows, 60 tokens)"}
     * @param heapBytes   what it needs on the Java heap
     * @param nativeBytes what it needs outside the heap (ND4J arrays)
     * @throws BadInputException naming the work, the need and the limit
     */
    public static void require(String work, long heapBytes, long nativeBytes) {
        long heap = heapAvailable();
        if (heapBytes > heap) {
            throw new BadInputException(work + " needs about " + gigabytes(heapBytes) + " of Java heap, more than the "
                    + gigabytes(heap) + " free under -Xmx " + gigabytes(Runtime.getRuntime().maxMemory())
                    + " (raise -Xmx in JAVA_OPTS, or ask for less)");
        }
        long process = processAvailable();
        if (heapBytes + nativeBytes > process) {
            throw new BadInputException(work + " needs about " + gigabytes(heapBytes + nativeBytes) + " of memory, "
                    + "more than the " + gigabytes(Math.max(0, process)) + " this process may still take ("
                    + limits() + "; ask for less)");
        }
    }

    /** The limits in force, for error messages: {@code -Xmx 4.0 GiB, maxphysicalbytes 20.1 GiB}. */
    public static String limits() {
        long physical = Pointer.maxPhysicalBytes();
        return "-Xmx " + gigabytes(Runtime.getRuntime().maxMemory()) + ", -Dorg.bytedeco.javacpp.maxphysicalbytes "
                + (physical > 0 ? gigabytes(physical) : "unlimited") + " in JAVA_OPTS";
    }

    /** {@code bytes} in GiB with one decimal (as -Xmx4g means 4 GiB). */
    public static String gigabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    /** The machine's available memory (Linux's MemAvailable, else the free memory the JVM reports). */
    private static Optional<Long> machineAvailable() {
        try (var lines = Files.lines(Path.of("/proc/meminfo"))) {
            Optional<Long> kib = lines.filter(l -> l.startsWith("MemAvailable:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")))
                    .findFirst();
            if (kib.isPresent()) {
                return Optional.of(kib.get() * 1024);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Optional.of(os.getFreeMemorySize());
        }
        return Optional.empty();
    }
}
