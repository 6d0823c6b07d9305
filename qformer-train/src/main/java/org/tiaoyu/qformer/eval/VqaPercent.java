package org.tiaoyu.qformer.eval;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * An accuracy in percent as {@code vqaEval.py} reports it.
 *
 * @param unrounded the official expression before rounding ({@code 100*acc}, {@code 100*float(sum(accs))/len(accs)})
 * @param rounded   what the official code stores: Python 3's {@code round(unrounded, 2)}
 */
public record VqaPercent(double unrounded, double rounded) {

    /** {@code VQAEval}'s default {@code n}: the decimals it rounds to. */
    private static final int DECIMALS = 2;

    public static VqaPercent of(double unrounded) {
        return new VqaPercent(unrounded, round(unrounded));
    }

    /**
     * Python 3's {@code round(x, 2)} on a float: the exact binary value rounded half to even to 2 decimals, then
     * the nearest double. So 0.125 gives 0.12, and 2.675 gives 2.67 (its double is
     * 2.67499999999999982236431605997495353221893310546875); a negative value that rounds to zero gives -0.0.
     */
    static double round(double x) {
        if (!Double.isFinite(x)) {
            return x;
        }
        double rounded = new BigDecimal(x).setScale(DECIMALS, RoundingMode.HALF_EVEN).doubleValue();
        return Math.copySign(rounded, x);
    }
}
