package org.tiaoyu.qformer.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Expected values worked out by hand from {@code lavis/common/optims.py}'s formulas. */
class LrScheduleTest {

    private static final double TOLERANCE = 1e-18;

    @Test
    void lavisStageOneWarmsUpThenFollowsAPerEpochCosine() {
        LrSchedule s = LrSchedule.LinearWarmupCosine.lavisStage1(10_000); // 1e-4 peak, 1e-5 floor, 1e-6 start
        assertEquals(1e-6, s.lr(0), TOLERANCE);
        assertEquals(5.05e-5, s.lr(2_500), TOLERANCE);           // 1e-6 + 99e-6 · 2500/5000
        assertEquals(1e-4, s.lr(5_000), TOLERANCE);              // warm-up done: min(init_lr, …)
        assertEquals(1e-4, s.lr(9_999), TOLERANCE);              // and held to the end of epoch 0
        double epoch1 = 9.779754323328191e-5;                     // 9e-5 · ½(1 + cos(π/10)) + 1e-5
        assertEquals(epoch1, s.lr(10_000), TOLERANCE);
        assertEquals(epoch1, s.lr(19_999), TOLERANCE);           // one value per epoch
        assertEquals(5.5e-5, s.lr(50_000), TOLERANCE);           // cos(π/2) = 0
        assertEquals(1.2202456766718091e-5, s.lr(99_999), TOLERANCE); // 9e-5 · ½(1 + cos(9π/10)) + 1e-5
        assertThrows(IllegalArgumentException.class, () -> s.lr(100_000));
        assertThrows(IllegalArgumentException.class, () -> s.lr(-1));
    }

    @Test
    void warmupLongerThanAnEpochIsCutShortAsInLavis() {
        LrSchedule s = new LrSchedule.LinearWarmupCosine(1e-4, 1e-5, 0.0, 100, 3, 50);
        assertEquals(4.9e-5, s.lr(49), TOLERANCE);               // 1e-4 · 49/100
        assertEquals(7.75e-5, s.lr(50), TOLERANCE);              // epoch 1: 9e-5 · ½(1 + cos(π/3)) + 1e-5
    }

    @Test
    void noWarmupStepsStillStartsAtTheWarmupRate() {
        LrSchedule s = new LrSchedule.LinearWarmupCosine(1e-4, 0.0, 1e-6, 0, 2, 10);
        assertEquals(1e-6, s.lr(0), TOLERANCE);                  // step 0 / max(0, 1) = 0
        assertEquals(1e-4, s.lr(1), TOLERANCE);
        LrSchedule lavisDefault = new LrSchedule.LinearWarmupCosine(1e-4, 0.0, 1e-4, 0, 2, 10); // warmup_lr: -1
        assertEquals(1e-4, lavisDefault.lr(0), TOLERANCE);
    }

    @Test
    void constantIsConstantAndArgumentsAreChecked() {
        LrSchedule s = new LrSchedule.Constant(3e-4);
        assertEquals(3e-4, s.lr(0));
        assertEquals(3e-4, s.lr(1_000_000));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.Constant(-1e-4));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.LinearWarmupCosine(1e-4, 0, 0, 0, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.LinearWarmupCosine(1e-4, 0, 0, 0, 1, 0));
    }

    @Test
    void stepwiseWarmupCosineRisesLinearlyThenFallsToTheFloorAtTheLastStep() {
        var s = new LrSchedule.StepwiseWarmupCosine(1e-3, 1e-5, 1e-6, 4, 14);
        assertEquals(1e-6, s.lr(0), 0);
        assertEquals(1e-6 + (1e-3 - 1e-6) * 2 / 4, s.lr(2), 1e-18);
        assertEquals(1e-3, s.lr(4), 1e-18, "the first step after the warm-up is at the peak");
        assertEquals(1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + Math.cos(Math.PI * 3 / 9)), s.lr(7), 1e-18);
        assertEquals(1e-5, s.lr(13), 1e-18, "the last step is at the floor");
        for (int step = 5; step < 14; step++) {
            assertTrue(s.lr(step) < s.lr(step - 1), "falls every step after the warm-up");
        }
        assertThrows(IllegalArgumentException.class, () -> s.lr(14));
        assertEquals(2e-4, new LrSchedule.StepwiseWarmupCosine(2e-4, 0, 0, 0, 1).lr(0), 0, "one step: the peak");
    }
}
