package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * The Python 3 {@code str} methods {@code vqaEval.py} calls, where Java's nearest ones differ: {@code strip()} and
 * {@code split()} use Python's whitespace, {@code lower()} Python's rule for a capital sigma. The character tables
 * are Java's (Unicode 13 in Java 17, where Python 3.11 has 14), so characters added in Unicode 14 may differ.
 */
final class VqaPythonStrings {

    private static final int CAPITAL_SIGMA = 0x03a3;
    private static final int SMALL_SIGMA = 0x03c3;
    private static final int FINAL_SIGMA = 0x03c2;
    private static final int CAPITAL_I_WITH_DOT = 0x0130;

    /** The characters of Word_Break MidLetter, MidNumLet and Single_Quote, which are case-ignorable. */
    private static final String WORD_BREAK_MID = ":\u00b7\u0387\u055f\u05f4\u2027\ufe13\ufe55\uff1a"
            + ".\u2018\u2019\u2024\ufe52\uff07\uff0e'";

    private VqaPythonStrings() {
    }

    /** {@code str.strip()}: leading and trailing whitespace removed. */
    static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    /** {@code str.split()} without arguments: runs of whitespace separate, no empty words. */
    static List<String> split(String s) {
        List<String> words = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            while (i < s.length() && isSpace(s.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < s.length() && !isSpace(s.charAt(i))) {
                i++;
            }
            if (i > start) {
                words.add(s.substring(start, i));
            }
        }
        return words;
    }

    /**
     * {@code str.lower()}: each character's full lower-case mapping (U+0130 becomes {@code i} and a combining dot,
     * as in {@code String.toLowerCase(Locale.ROOT)}), and a capital sigma final (ς) exactly where Unicode's
     * Final_Sigma condition holds, which Python checks and Java does not: after a cased letter and not before one,
     * case-ignorable characters skipped both ways. Java decides by word boundaries instead: {@code "yesΣ2"} gives
     * {@code yesς2} in Python and {@code yesσ2} in Java, {@code "x٣Σ"} gives {@code x٣σ} in Python and {@code x٣ς}
     * in Java.
     */
    static String lower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            if (c == CAPITAL_SIGMA) {
                out.appendCodePoint(isFinalSigma(s, i) ? FINAL_SIGMA : SMALL_SIGMA);
            } else if (c == CAPITAL_I_WITH_DOT) {
                out.append("i\u0307");
            } else {
                out.appendCodePoint(Character.toLowerCase(c));
            }
            i += Character.charCount(c);
        }
        return out.toString();
    }

    /**
     * Python's {@code handle_capital_sigma}: {@code \p{cased} \p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased})}
     * around the sigma at {@code sigma}.
     */
    private static boolean isFinalSigma(String s, int sigma) {
        int j = sigma;
        int before = -1;
        while (j > 0) {
            int c = s.codePointBefore(j);
            j -= Character.charCount(c);
            if (!isCaseIgnorable(c)) {
                before = c;
                break;
            }
        }
        if (before < 0 || !isCased(before)) {
            return false;
        }
        for (int k = sigma + 1; k < s.length(); ) {
            int c = s.codePointAt(k);
            if (!isCaseIgnorable(c)) {
                return !isCased(c);
            }
            k += Character.charCount(c);
        }
        return true;
    }

    /** Unicode's Cased: Lowercase, Uppercase or titlecase letter. */
    private static boolean isCased(int c) {
        return Character.isLowerCase(c) || Character.isUpperCase(c) || Character.isTitleCase(c);
    }

    /** Unicode's Case_Ignorable: Mn, Me, Cf, Lm, Sk, or Word_Break MidLetter, MidNumLet, Single_Quote. */
    private static boolean isCaseIgnorable(int c) {
        return switch (Character.getType(c)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT, Character.MODIFIER_LETTER,
                    Character.MODIFIER_SYMBOL -> true;
            default -> WORD_BREAK_MID.indexOf(c) >= 0;
        };
    }

    /**
     * {@code str.isspace()} for one character (all such characters are in the BMP): Java's
     * {@code Character.isWhitespace} plus the no-break spaces it leaves out and U+0085.
     */
    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00a0' || c == '\u2007' || c == '\u202f' || c == '\u0085';
    }
}
