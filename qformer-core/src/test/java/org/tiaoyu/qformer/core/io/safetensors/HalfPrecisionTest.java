package org.tiaoyu.qformer.core.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfPrecisionTest {

    /** Known binary16 encodings (IEEE 754-2008, and what numpy.float16 gives). */
    @Test
    void halfKnownBitPatterns() {
        assertHalf(0x0000, 0.0f);
        assertHalf(0x8000, -0.0f);
        assertHalf(0x3C00, 1.0f);
        assertHalf(0xC000, -2.0f);
        assertHalf(0x3555, 0.333251953125f); // nearest half to 1/3
        assertHalf(0x7BFF, 65504.0f); // largest finite
        assertHalf(0x0400, 0x1p-14f); // smallest normal
        assertHalf(0x03FF, 1023 * 0x1p-24f); // largest subnormal
        assertHalf(0x0001, 0x1p-24f); // smallest subnormal
        assertHalf(0x7C00, Float.POSITIVE_INFINITY);
        assertHalf(0xFC00, Float.NEGATIVE_INFINITY);
        assertEquals((short) 0x3555, HalfPrecision.floatToHalf(1f / 3));
        assertTrue(Float.isNaN(HalfPrecision.halfToFloat((short) 0x7E00)));
        assertTrue(Float.isNaN(HalfPrecision.halfToFloat((short) 0x7C01)));
    }

    @Test
    void halfRoundsToNearestEven() {
        assertEquals((short) 0x3C00, HalfPrecision.floatToHalf(1 + 0x1p-11f)); // tie, down to even
        assertEquals((short) 0x3C02, HalfPrecision.floatToHalf(1 + 3 * 0x1p-11f)); // tie, up to even
        assertEquals((short) 0x3C01, HalfPrecision.floatToHalf(1 + 0x1p-11f + 0x1p-20f)); // above the tie
        assertEquals((short) 0x7BFF, HalfPrecision.floatToHalf(65519f));
        assertEquals((short) 0x7C00, HalfPrecision.floatToHalf(65520f)); // tie between 65504 and 2^16: infinity
        assertEquals((short) 0x0000, HalfPrecision.floatToHalf(0x1p-25f)); // tie between 0 and 2^-24
        assertEquals((short) 0x8000, HalfPrecision.floatToHalf(-0x1p-25f));
        assertEquals((short) 0x0001, HalfPrecision.floatToHalf(Math.nextUp(0x1p-25f)));
        assertEquals((short) 0x0002, HalfPrecision.floatToHalf(3 * 0x1p-25f)); // tie, up to even
        assertEquals((short) 0x0400, HalfPrecision.floatToHalf(Math.nextDown(0x1p-14f))); // rounds up to normal
        assertEquals((short) 0x0000, HalfPrecision.floatToHalf(Float.MIN_VALUE));
    }

    @Test
    void halfNanStaysNan() {
        for (int bits : new int[] {0x7FC00000, 0x7F800001, 0xFFC00000, 0x7FBFFFFF}) {
            short h = HalfPrecision.floatToHalf(Float.intBitsToFloat(bits));
            assertTrue(Float.isNaN(HalfPrecision.halfToFloat(h)), Integer.toHexString(bits));
            assertEquals(bits < 0, h < 0, "sign of " + Integer.toHexString(bits));
        }
    }

    @Test
    void everyHalfSurvivesTheRoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfPrecision.halfToFloat((short) bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfPrecision.halfToFloat(HalfPrecision.floatToHalf(f))));
            } else {
                assertEquals((short) bits, HalfPrecision.floatToHalf(f), Integer.toHexString(bits));
                assertEquals((short) bits, HalfPrecision.doubleToHalf(f), Integer.toHexString(bits));
            }
        }
    }

    /** Against an independent oracle: the nearer of the two halves around the value, ties to the even one. */
    @Test
    void floatToHalfMatchesOracle() {
        Random random = new Random(42);
        for (int i = 0; i < 300_000; i++) {
            // Half the draws over all floats, half within the range of halves (exponents -26..16).
            float f = i % 2 == 0 ? Float.intBitsToFloat(random.nextInt())
                    : (random.nextBoolean() ? -1 : 1) * (1 + random.nextFloat())
                            * (float) Math.pow(2, random.nextInt(43) - 26);
            if (!Float.isNaN(f)) {
                assertEquals(oracleHalf(f), HalfPrecision.floatToHalf(f), "float bits " + Integer.toHexString(
                        Float.floatToRawIntBits(f)));
            }
        }
    }

    @Test
    void doubleToHalfRoundsOnce() {
        // 1 + 2^-11 + 2^-40 is just above a half tie; (float) rounds it to the tie itself, which would then
        // round down to even. Rounding once gives the half above.
        assertEquals((short) 0x3C01, HalfPrecision.doubleToHalf(1 + 0x1p-11 + 0x1p-40));
        assertEquals((short) 0x3C00, HalfPrecision.floatToHalf((float) (1 + 0x1p-11 + 0x1p-40)));
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            double d = (1 + random.nextDouble()) * Math.pow(2, random.nextInt(40) - 25);
            assertEquals(oracleHalf(d), HalfPrecision.doubleToHalf(d), Double.toString(d));
        }
    }

    @Test
    void bfloat16KnownBitPatterns() {
        assertBfloat16(0x3F80, 1.0f);
        assertBfloat16(0xC040, -3.0f);
        assertBfloat16(0x0000, 0.0f);
        assertBfloat16(0x8000, -0.0f);
        assertBfloat16(0x7F7F, 0x1.FEp127f); // largest finite
        assertBfloat16(0x0001, 0x1p-133f); // smallest subnormal
        assertBfloat16(0x7F80, Float.POSITIVE_INFINITY);
        assertBfloat16(0xFF80, Float.NEGATIVE_INFINITY);
        assertEquals((short) 0x3F80, HalfPrecision.floatToBfloat16(1 + 0x1p-8f)); // tie, down to even
        assertEquals((short) 0x3F82, HalfPrecision.floatToBfloat16(1 + 3 * 0x1p-8f)); // tie, up to even
        assertEquals((short) 0x3EAB, HalfPrecision.floatToBfloat16(1f / 3)); // what torch.bfloat16 gives
        assertEquals((short) 0x7F80, HalfPrecision.floatToBfloat16(Float.MAX_VALUE)); // rounds to infinity
        short nan = HalfPrecision.floatToBfloat16(Float.intBitsToFloat(0x7F800001)); // payload only in low bits
        assertTrue(Float.isNaN(HalfPrecision.bfloat16ToFloat(nan)));
    }

    @Test
    void floatToBfloat16MatchesOracle() {
        Random random = new Random(43);
        for (int i = 0; i < 300_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (!Float.isNaN(f)) {
                assertEquals(oracleBfloat16(f), HalfPrecision.floatToBfloat16(f), "float bits "
                        + Integer.toHexString(Float.floatToRawIntBits(f)));
            }
        }
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfPrecision.bfloat16ToFloat((short) bits);
            if (!Float.isNaN(f)) {
                assertEquals((short) bits, HalfPrecision.floatToBfloat16(f));
            }
        }
    }

    private static void assertHalf(int bits, float value) {
        assertEquals(Float.floatToRawIntBits(value), Float.floatToRawIntBits(HalfPrecision.halfToFloat((short) bits)),
                "decoding " + Integer.toHexString(bits));
        assertEquals((short) bits, HalfPrecision.floatToHalf(value), "encoding " + value);
    }

    private static void assertBfloat16(int bits, float value) {
        assertEquals(Float.floatToRawIntBits(value),
                Float.floatToRawIntBits(HalfPrecision.bfloat16ToFloat((short) bits)), "decoding " + bits);
        assertEquals((short) bits, HalfPrecision.floatToBfloat16(value), "encoding " + value);
    }

    /** Nearest half to a non-NaN value by brute comparison in double (exact for these magnitudes). */
    private static short oracleHalf(double value) {
        short sign = (short) (Math.copySign(1.0, value) < 0 ? 0x8000 : 0);
        double abs = Math.abs(value);
        // Positive halves 0x0000..0x7BFF increase with their bits; 0x7C00 (infinity) acts as 2^16 for ties.
        int lo = 0;
        int hi = 0x7C00;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (halfValue(mid) <= abs) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if (abs >= 65536) {
            return (short) (sign | 0x7C00);
        }
        double below = abs - halfValue(lo);
        double above = halfValue(hi) - abs;
        int bits = below < above || (below == above && (lo & 1) == 0) ? lo : hi;
        return (short) (sign | bits);
    }

    private static double halfValue(int bits) {
        return bits == 0x7C00 ? 65536 : HalfPrecision.halfToFloat((short) bits);
    }

    /** Nearest bfloat16 to a non-NaN float: the truncation or the next one up, by exact comparison. */
    private static short oracleBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int truncated = bits >>> 16;
        if ((bits & 0xFFFF) == 0) {
            return (short) truncated;
        }
        double abs = Math.abs((double) value);
        double lo = Math.abs((double) HalfPrecision.bfloat16ToFloat((short) truncated));
        int upBits = truncated + 1;
        // Past the largest finite the next pattern is infinity, which counts as 2^128 for rounding.
        double hi = (upBits & 0x7FFF) == 0x7F80 ? 0x1p128
                : Math.abs((double) HalfPrecision.bfloat16ToFloat((short) upBits));
        double below = abs - lo;
        double above = hi - abs;
        return (short) (below < above || (below == above && (truncated & 1) == 0) ? truncated : upBits);
    }
}
