package org.tiaoyu.qformer.lm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class GenerationOutputTest {

    @Test
    void batchesMergeAsOneCallWouldFillThem() {
        GenerationOutput first = new GenerationOutput(new long[][] {{5, 6, 2}, {5, 7, 8}}, new double[] {-1, -2},
                List.of());
        GenerationOutput second = new GenerationOutput(new long[][] {{5, 9, 9, 9, 2}}, new double[] {-3}, List.of());
        GenerationOutput merged = GenerationOutput.concat(List.of(first, second), 1);
        assertArrayEquals(new long[][] {{5, 6, 2, 1, 1}, {5, 7, 8, 1, 1}, {5, 9, 9, 9, 2}}, merged.sequences());
        assertArrayEquals(new double[] {-1, -2, -3}, merged.sequencesScores());

        GenerationOutput greedy = GenerationOutput.concat(List.of(
                new GenerationOutput(new long[][] {{4}}, null, List.of()),
                new GenerationOutput(new long[][] {{4, 3}}, null, List.of())), 0);
        assertArrayEquals(new long[][] {{4, 0}, {4, 3}}, greedy.sequences());
        assertNull(greedy.sequencesScores());
    }

    @Test
    void onlyLikeOutputsWithoutStepLogitsMerge() {
        GenerationOutput scored = new GenerationOutput(new long[][] {{1}}, new double[] {0}, List.of());
        GenerationOutput unscored = new GenerationOutput(new long[][] {{1}}, null, List.of());
        assertThrows(IllegalArgumentException.class, () -> GenerationOutput.concat(List.of(scored, unscored), 0));
        GenerationOutput withLogits = new GenerationOutput(new long[][] {{1}}, null,
                List.of(org.nd4j.linalg.factory.Nd4j.zeros(1, 3)));
        assertThrows(IllegalArgumentException.class, () -> GenerationOutput.concat(List.of(withLogits), 0));
    }
}
