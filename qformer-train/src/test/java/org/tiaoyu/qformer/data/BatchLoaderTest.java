package org.tiaoyu.qformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {

    /** 22 records; a batch is the records' captions with each one's first random draw. */
    private static final List<CaptionRecord> RECORDS = records(22);

    private static List<CaptionRecord> records(int n) {
        List<CaptionRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new CaptionRecord("img" + i, Path.of("img" + i), i, "caption " + i, "test:" + i));
        }
        return out;
    }

    private static final BatchLoader.BatchMaker<List<String>> MAKER = (records, rngs) -> {
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            batch.add(records.get(i).caption() + "@" + rngs.get(i).nextLong());
        }
        return new BatchLoader.Prepared<>(batch, List.of());
    };

    private static List<List<String>> take(BatchLoader<List<String>> loader, int n) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(loader.next().prepared().batch());
        }
        return out;
    }

    @Test
    void dropsTheLastIncompleteBatchAndVisitsEveryOtherRecordOnceAnEpoch() {
        try (var loader = new BatchLoader<>(RECORDS, 4, true, 7, 2, 3, MAKER)) {
            assertEquals(5, loader.batchesPerEpoch());
            Set<String> seen = new HashSet<>();
            for (List<String> batch : take(loader, 5)) {
                batch.forEach(s -> assertTrue(seen.add(s.substring(0, s.indexOf('@'))), s));
            }
            assertEquals(20, seen.size());
            BatchLoader.Loaded<List<String>> next = loader.next();
            assertEquals(1, next.epoch());
            assertEquals(0, next.index());
        }
    }

    @Test
    void theOrderAndTheDrawsDependOnTheSeedAndPositionOnlyNotOnThreadsOrWhereARunStarted() {
        List<List<String>> unbroken;
        try (var loader = new BatchLoader<>(RECORDS, 4, true, 7, 1, 1, MAKER)) {
            unbroken = take(loader, 12);   // two epochs and two batches
        }
        try (var loader = new BatchLoader<>(RECORDS, 4, true, 7, 2, 4, MAKER)) {
            assertEquals(unbroken, take(loader, 12), "more threads, more prefetch: the same batches");
        }
        try (var loader = new BatchLoader<>(RECORDS, 4, true, 7, 2, 4, MAKER)) {
            loader.seek(1, 2);            // as a resumed run does
            assertEquals(unbroken.subList(7, 12), take(loader, 5));
        }
        try (var loader = new BatchLoader<>(RECORDS, 4, true, 7, 2, 4, MAKER)) {
            take(loader, 3);
            loader.seek(0, 1);            // dropping what was prefetched
            assertEquals(unbroken.subList(1, 4), take(loader, 3));
        }
        try (var loader = new BatchLoader<>(RECORDS, 4, true, 8, 2, 4, MAKER)) {
            assertNotEquals(unbroken, take(loader, 12), "another seed, another order");
        }
        assertNotEquals(names(unbroken.subList(0, 5)), names(unbroken.subList(5, 10)), "each epoch is reshuffled");
    }

    @Test
    void withoutShufflingTheFileOrderIsKept() {
        try (var loader = new BatchLoader<>(RECORDS, 4, false, 7, 2, 2, MAKER)) {
            assertEquals(List.of("caption 0", "caption 1", "caption 2", "caption 3"),
                    names(List.of(loader.next().prepared().batch())));
        }
    }

    @Test
    void noMoreThanPrefetchBatchesAreMadeAhead() throws InterruptedException {
        AtomicInteger made = new AtomicInteger();
        BatchLoader.BatchMaker<List<String>> counting = (records, rngs) -> {
            made.incrementAndGet();
            return MAKER.make(records, rngs);
        };
        try (var loader = new BatchLoader<>(RECORDS, 4, true, 7, 2, 3, counting)) {
            loader.next();
            Thread.sleep(300);
            assertTrue(made.get() <= 4, "made " + made.get() + " batches for 1 taken with prefetch 3");
        }
    }

    @Test
    void refusesFewerRecordsThanOneBatch() {
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader<>(records(3), 4, true, 7, 1, 1, MAKER));
    }

    private static List<String> names(List<List<String>> batches) {
        List<String> out = new ArrayList<>();
        batches.forEach(b -> b.forEach(s -> out.add(s.substring(0, s.indexOf('@')))));
        return out;
    }
}
