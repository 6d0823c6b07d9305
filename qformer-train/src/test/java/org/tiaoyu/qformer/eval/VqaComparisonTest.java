package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class VqaComparisonTest {

    private static List<String> answers(String... answers) {
        return List.of(answers);
    }

    private static List<String> repeat(String answer, int times) {
        return Collections.nCopies(times, answer);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void identicalHumanAnswersAreComparedAsTheyAre() {
        VqaComparison yes = VqaComparison.of(repeat("yes", 10), "Yes");
        assertFalse(yes.normalized());
        assertEquals("Yes", yes.prediction());
        assertEquals(0.0, yes.accuracy());
        assertEquals(0.0, VqaComparison.of(repeat("2", 10), "two").accuracy());
        // Stripping still applies, and is what decides "identical".
        VqaComparison padded = VqaComparison.of(concat(repeat("yes", 9), List.of(" yes\n")), "\tyes ");
        assertFalse(padded.normalized());
        assertEquals(repeat("yes", 10), padded.answers());
        assertEquals(1.0, padded.accuracy());
    }

    @Test
    void differingHumanAnswersNormaliseAnswersAndPrediction() {
        VqaComparison c = VqaComparison.of(concat(repeat("yes", 9), List.of("Yes")), "YES");
        assertTrue(c.normalized());
        assertEquals("yes", c.prediction());
        assertEquals(repeat("yes", 10), c.answers());
        assertEquals(1.0, c.accuracy());
        assertEquals(1.0, VqaComparison.of(concat(repeat("2", 9), List.of("3")), "two").accuracy());
    }

    /**
     * min(1, others matching / 3) per human, averaged: the five values a question of ten can score (the values are
     * the official code's for these lists).
     */
    @Test
    void eachHumanCountsTheOtherNineUpToThree() {
        List<String> others = repeat("no", 10);
        assertEquals(0.0, VqaComparison.of(concat(List.of("cat"), others.subList(1, 10)), "dog").accuracy());
        // One human: the other nine never match, the nine others see one match.
        assertEquals(0.3, VqaComparison.of(concat(List.of("dog"), others.subList(1, 10)), "dog").accuracy());
        assertEquals(0.6, VqaComparison.of(concat(repeat("dog", 2), others.subList(2, 10)), "dog").accuracy());
        assertEquals(0.9, VqaComparison.of(concat(repeat("dog", 3), others.subList(3, 10)), "dog").accuracy());
        assertEquals(1.0, VqaComparison.of(concat(repeat("dog", 4), others.subList(4, 10)), "dog").accuracy());
    }

    /** The official float(sum(gtAcc))/len(gtAcc) sums in the humans' order, and the last bit shows it. */
    @Test
    void sumsInTheHumansOrder() {
        assertEquals(0.5999999999999999,
                VqaComparison.of(concat(repeat("x", 8), repeat("y", 2)), "y").accuracy());
        assertEquals(0.6, VqaComparison.of(concat(repeat("y", 2), repeat("x", 8)), "y").accuracy());
        assertEquals(0.6000000000000001, VqaComparison.of(answers("x", "x", "x", "x", "y", "y", "x", "x", "x", "x"),
                "y").accuracy());
    }

    @Test
    void aSingleHumanAnswerHasNoOthersToAgreeWith() {
        assertEquals(0.0, VqaComparison.of(List.of("yes"), "yes").accuracy());
        assertThrows(IllegalArgumentException.class, () -> VqaComparison.of(List.of(), "yes"));
    }
}
