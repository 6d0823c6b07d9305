package org.tiaoyu.qformer.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    @Test
    void collectionIntervalIsOneSecondUnlessSet() {
        assertEquals(1_000_000_000L, MemoryBudget.collectionInterval(null));
        assertEquals(1_000_000_000L, MemoryBudget.collectionInterval(" "));
        assertEquals(2_500_000_000L, MemoryBudget.collectionInterval("2.5"));
        assertEquals(0L, MemoryBudget.collectionInterval("0"));
    }

    @Test
    void collectionIntervalRefusesWhatIsNotSeconds() {
        for (String bad : new String[] {"-1", "NaN", "Infinity", "5s"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MemoryBudget.collectionInterval(bad));
            assertEquals("-Dqformer.gc.seconds=" + bad + ": not a number of seconds (0 or more; 0 never collects)",
                    e.getMessage());
        }
    }
}
