package org.tiaoyu.qformer.core.autograd;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits the work of one fused kernel ({@link FloatKernels}) over the machine's cores: the caller and a small shared
 * pool of daemon threads take chunks of the index range from a common counter, so no thread is made per call and a
 * helper that wakes late (waking an idle core costs about 0.1 ms in a VM) simply takes fewer chunks; one that has not
 * started when the work is done is called off. The thread count is the number of available processors, or the system
 * property {@code qformer.kernel.threads} when it is a number (1 turns it off). Small work runs on the caller alone.
 */
final class Parallel {

    /** Below this many elements of work a kernel runs on one thread. */
    static final long MIN_PARALLEL_WORK = 32_768;

    /** Elements of work per chunk taken from the counter. */
    static final long CHUNK_WORK = 16_384;

    static final int THREADS = threads();

    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS - 1, pool -> {
        ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        thread.setName("qformer-kernel-" + thread.getPoolIndex());
        thread.setDaemon(true);
        return thread;
    }, null, true) : null;

    private Parallel() {}

    /**
     * The work on {@code [start, end)} of the index range, done by thread number {@code part}: a part may be called
     * for several ranges, one after another, never for two at once.
     */
    @FunctionalInterface
    interface Body {
        void run(int start, int end, int part);
    }

    /** How many threads {@link #run} will use for {@code count} items of {@code workPerItem} elements each. */
    static int parts(int count, long workPerItem) {
        if (POOL == null || count < 2 || (long) count * workPerItem < MIN_PARALLEL_WORK
                || ForkJoinTask.inForkJoinPool()) {
            return 1;
        }
        return Math.min(THREADS, count);
    }

    /**
     * Runs {@code body} over {@code [0, count)} on {@code parts} threads (numbered 0, the caller, to parts − 1) in
     * chunks of about {@link #CHUNK_WORK} elements ({@code workPerItem} each), and returns when all have finished. An
     * exception stops the handing out of chunks and is rethrown once no thread is still running the body.
     */
    static void run(int count, int parts, long workPerItem, Body body) {
        if (parts <= 1 || count < 2) {
            body.run(0, count, 0);
            return;
        }
        int grain = (int) Math.max(1, Math.min(CHUNK_WORK / Math.max(1, workPerItem), count / (2L * parts)));
        if (POOL == null) { // one thread configured: the parts' share, one after another
            for (int p = 0; p < parts; p++) {
                body.run(bound(count, parts, p), bound(count, parts, p + 1), p);
            }
            return;
        }
        Job job = new Job(count, grain, parts, body);
        for (int p = 1; p < parts; p++) {
            int part = p;
            POOL.execute(() -> job.help(part));
        }
        job.work(0);
        job.finish();
    }

    /** Start of part {@code part} when {@code count} items are cut into {@code parts} near-equal ranges. */
    static int bound(int count, int parts, int part) {
        int base = count / parts;
        int extra = count % parts;
        return part * base + Math.min(part, extra);
    }

    /** One call of {@link #run}: the chunk counter and the state of each helper. */
    private static final class Job {
        private static final int WAITING = 0;
        private static final int RUNNING = 1;
        private static final int DONE = 2;
        private static final int CALLED_OFF = 3;

        private final int count;
        private final int grain;
        private final Body body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicIntegerArray states;
        private final Thread caller = Thread.currentThread();
        private volatile Throwable failure;

        Job(int count, int grain, int parts, Body body) {
            this.count = count;
            this.grain = grain;
            this.body = body;
            this.states = new AtomicIntegerArray(parts);
        }

        /** Takes chunks until none are left. */
        void work(int part) {
            try {
                for (int start = next.getAndAdd(grain); start < count; start = next.getAndAdd(grain)) {
                    body.run(start, Math.min(count, start + grain), part);
                }
            } catch (RuntimeException | Error e) {
                next.set(count); // hand out nothing more
                synchronized (this) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }

        /** A helper thread's share, unless the caller has already finished and called it off. */
        void help(int part) {
            if (!states.compareAndSet(part, WAITING, RUNNING)) {
                return;
            }
            try {
                work(part);
            } finally {
                states.set(part, DONE);
                LockSupport.unpark(caller);
            }
        }

        /** Calls off helpers that have not started, waits for those that have, and rethrows a failure. */
        void finish() {
            for (int p = 1; p < states.length(); p++) {
                if (states.compareAndSet(p, WAITING, CALLED_OFF)) {
                    continue;
                }
                for (int spins = 0; states.get(p) != DONE; spins++) {
                    if (spins < 1_000) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(this, 50_000);
                    }
                }
            }
            Throwable f = failure;
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
        }
    }

    private static int threads() {
        int available = Runtime.getRuntime().availableProcessors();
        String configured = System.getProperty("qformer.kernel.threads");
        if (configured != null && !configured.isBlank()) {
            try {
                return Math.max(1, Integer.parseInt(configured.trim()));
            } catch (NumberFormatException e) {
                // not a number: the default below (a static initializer is no place to fail)
            }
        }
        return Math.max(1, Math.min(available, 64));
    }
}
