package org.tiaoyu.qformer.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.tiaoyu.qformer.core.autograd.Rng;

/**
 * Batches of a dataset in a seeded order, prepared ahead on background threads so that a training step never
 * waits for decoding, augmentation or tokenisation.
 *
 * <p>The order is fixed by the seed alone: epoch {@code e} visits the records in a permutation drawn from
 * {@code (seed, e)} (or in file order without shuffling) and cuts it into {@link #batchesPerEpoch()} batches of
 * {@code batchSize}, the last incomplete one dropped (PyTorch's {@code drop_last}, as LAVIS trains). Each record's
 * random draws (augmentation) come from a generator of its own, derived from {@code (seed, epoch, position)}, so a
 * batch is the same whichever thread makes it and whenever: a run started at {@link #seek} position (e, b) sees
 * exactly the batches an unbroken run sees there.
 *
 * <p>At most {@code prefetch} batches are in flight or waiting, which bounds the memory the loader holds.
 *
 * @param <B> what the stage makes of a batch's records ({@link BatchMaker})
 */
public final class BatchLoader<B> implements AutoCloseable {

    /** Turns the records of one batch into what a training step takes; runs on a loader thread. */
    @FunctionalInterface
    public interface BatchMaker<B> {
        /**
         * @param records the batch's records, in order
         * @param rngs    one generator per record, for its augmentation
         * @return the batch, and the records it had to leave out (an image that cannot be decoded)
         */
        Prepared<B> make(List<CaptionRecord> records, List<Rng> rngs);
    }

    /**
     * A prepared batch.
     *
     * @param batch   null when too few records were usable to make one (the step is then skipped)
     * @param skipped the records left out, and why
     */
    public record Prepared<B>(B batch, List<SkippedRecord> skipped) {}

    /** A batch at its place in the run: epoch and index within the epoch, from 0. */
    public record Loaded<B>(int epoch, int index, Prepared<B> prepared) {}

    private static final long EPOCH_SALT = 0x5DEECE66DL;
    private static final long RECORD_SALT = 0x2545F4914F6CDD1DL;

    private final List<CaptionRecord> records;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final int prefetch;
    private final BatchMaker<B> maker;
    private final ExecutorService workers;
    private final ArrayDeque<Future<Loaded<B>>> inFlight = new ArrayDeque<>();
    private int nextEpoch;
    private int nextIndex;
    private int[] order;           // the permutation of epoch orderEpoch
    private int orderEpoch = -1;

    /**
     * @param workers  background threads (at least 1)
     * @param prefetch batches prepared ahead (at least 1)
     */
    public BatchLoader(List<CaptionRecord> records, int batchSize, boolean shuffle, long seed, int workers,
            int prefetch, BatchMaker<B> maker) {
        if (batchSize < 1 || workers < 1 || prefetch < 1) {
            throw new IllegalArgumentException("batch size, workers and prefetch must be at least 1, got "
                    + batchSize + ", " + workers + ", " + prefetch);
        }
        if (records.size() < batchSize) {
            throw new IllegalArgumentException("only " + records.size() + " usable records, fewer than one batch of "
                    + batchSize);
        }
        this.records = List.copyOf(records);
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.prefetch = prefetch;
        this.maker = maker;
        AtomicInteger count = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "qformer-loader-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Full batches in an epoch. */
    public int batchesPerEpoch() {
        return records.size() / batchSize;
    }

    /** Makes {@code (epoch, index)} the next batch {@link #next} returns, dropping what was prepared ahead. */
    public void seek(int epoch, int index) {
        if (epoch < 0 || index < 0 || index >= batchesPerEpoch()) {
            throw new IllegalArgumentException("no batch " + index + " in epoch " + epoch + " (" + batchesPerEpoch()
                    + " batches an epoch)");
        }
        inFlight.forEach(f -> f.cancel(true));
        inFlight.clear();
        nextEpoch = epoch;
        nextIndex = index;
    }

    /** The next batch in order, waiting for it if it is not ready. */
    public Loaded<B> next() {
        while (inFlight.size() < prefetch) {
            submit();
        }
        Future<Loaded<B>> head = inFlight.poll();
        submit();
        try {
            return head.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** The records of batch {@code (epoch, index)}, in order. */
    public List<CaptionRecord> recordsOf(int epoch, int index) {
        int[] permutation = order(epoch);
        List<CaptionRecord> out = new ArrayList<>(batchSize);
        for (int i = index * batchSize; i < (index + 1) * batchSize; i++) {
            out.add(records.get(permutation[i]));
        }
        return out;
    }

    private void submit() {
        int epoch = nextEpoch;
        int index = nextIndex;
        List<CaptionRecord> batch = recordsOf(epoch, index);
        List<Rng> rngs = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            rngs.add(new Rng(mix(mix(seed ^ RECORD_SALT, epoch), (long) index * batchSize + i)));
        }
        inFlight.add(workers.submit(() -> new Loaded<>(epoch, index, maker.make(batch, rngs))));
        if (++nextIndex == batchesPerEpoch()) {
            nextIndex = 0;
            nextEpoch++;
        }
    }

    private int[] order(int epoch) {
        if (epoch != orderEpoch) {
            order = permutation(records.size(), shuffle ? new Rng(mix(seed ^ EPOCH_SALT, epoch)) : null);
            orderEpoch = epoch;
        }
        return order;
    }

    /** 0..n-1, shuffled by Fisher–Yates when {@code rng} is given. */
    static int[] permutation(int n, Rng rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        if (rng != null) {
            for (int i = n - 1; i > 0; i--) {
                int j = (int) Math.floorMod(rng.nextLong(), (long) i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
        }
        return p;
    }

    /** A seed for the pair (a, b): one SplitMix64 step over both. */
    private static long mix(long a, long b) {
        return new Rng(a, 0).nextLong() ^ new Rng(b * 0x9E3779B97F4A7C15L + 1, 0).nextLong();
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
