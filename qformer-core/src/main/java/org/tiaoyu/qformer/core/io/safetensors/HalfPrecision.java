package org.tiaoyu.qformer.core.io.safetensors;

/**
 * Bit-exact conversions between {@code float} and the two 16-bit float formats of safetensors: IEEE 754
 * binary16 ({@code F16}) and bfloat16 ({@code BF16}, the top half of a binary32). Narrowing rounds to nearest,
 * ties to even, as PyTorch and NumPy do; overflow gives infinity, NaN stays NaN. Written out rather than left to
 * ND4J so that the rounding is pinned down and tested against known bit patterns.
 */
public final class HalfPrecision {

    private HalfPrecision() {
    }

    /** @return the binary16 value {@code bits} as a float (exact: every half is a float) */
    public static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) { // infinity or NaN, payload kept
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
        }
        if (exponent != 0) { // normal: rebias the exponent from 15 to 127
            return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
        }
        float subnormal = mantissa * 0x1p-24f; // zero or subnormal: mantissa * 2^-24
        return sign != 0 ? -subnormal : subnormal;
    }

    /** @return the binary16 bits nearest to {@code value}, ties to even */
    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs >= 0x7F80_0000) { // infinity, or NaN made quiet so that it cannot become infinity
            return (short) (abs == 0x7F80_0000 ? sign | 0x7C00 : sign | 0x7E00 | ((abs >>> 13) & 0x3FF));
        }
        if (abs >= 0x477F_F000) { // 65520 and up round to infinity
            return (short) (sign | 0x7C00);
        }
        if (abs >= 0x3880_0000) { // 2^-14 and up: a normal half
            // Round away the 13 low mantissa bits (a carry correctly bumps the exponent), then rebias 127 -> 15.
            int rounded = abs + 0x0FFF + ((abs >>> 13) & 1);
            return (short) (sign | ((rounded - 0x3800_0000) >>> 13));
        }
        if (abs <= 0x3300_0000) { // up to 2^-25, half the smallest subnormal: the tie goes to even, zero
            return (short) sign;
        }
        // A subnormal half counts units of 2^-24; the float is significand * 2^(exponent - 150).
        int exponent = abs >>> 23;
        int significand = (abs & 0x7F_FFFF) | 0x80_0000;
        int shift = 126 - exponent; // 14..24
        int units = significand >>> shift;
        int rest = significand & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (units & 1) == 1)) {
            units++; // may carry into the smallest normal, 0x0400, which is right
        }
        return (short) (sign | units);
    }

    /** @return the bfloat16 value {@code bits} as a float (exact) */
    public static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** @return the bfloat16 bits nearest to {@code value}, ties to even */
    public static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) { // NaN: keep sign and top payload, set the quiet bit
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** @return the binary16 bits nearest to {@code value}, ties to even, rounding only once */
    public static short doubleToHalf(double value) {
        return floatToHalf(toFloatRoundToOdd(value));
    }

    /** @return the bfloat16 bits nearest to {@code value}, ties to even, rounding only once */
    public static short doubleToBfloat16(double value) {
        return floatToBfloat16(toFloatRoundToOdd(value));
    }

    /**
     * Narrows a double to float rounding to odd: an inexact result takes the neighbour whose last bit is 1.
     * Rounding that float again to a format at least two bits narrower is then the same as rounding the double
     * directly (Boldo and Melquiond, "When double rounding is odd", 2005), so F64 -> F16 is not rounded twice.
     */
    static float toFloatRoundToOdd(double value) {
        float f = (float) value;
        if (f != value && !Double.isNaN(value) && !Float.isInfinite(f) && (Float.floatToRawIntBits(f) & 1) == 0) {
            f = value > f ? Math.nextUp(f) : Math.nextDown(f);
        }
        return f;
    }
}
