package org.tiaoyu.qformer.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * LAVIS's caption cleaning ({@code BlipCaptionProcessor.pre_caption} in {@code lavis/processors/blip_processors.py}):
 * lower case, each of {@code . ! " ( ) * # : ; ~} replaced by a space, runs of whitespace collapsed to one space,
 * a trailing newline and surrounding spaces stripped, then at most {@code maxWords} space-separated words.
 */
public final class CaptionCleaner {

    /** LAVIS's default {@code max_words}. */
    public static final int DEFAULT_MAX_WORDS = 50;

    private static final Pattern PUNCTUATION = Pattern.compile("[.!\"()*#:;~]");
    // Python's \s on str: Unicode whitespace plus the separators \x1c-\x1f, which Java's Unicode \s lacks.
    private static final Pattern WHITESPACE_RUN =
            Pattern.compile("[\\s\\x1c-\\x1f]{2,}", Pattern.UNICODE_CHARACTER_CLASS);

    private final int maxWords;

    public CaptionCleaner(int maxWords) {
        if (maxWords < 1) {
            throw new IllegalArgumentException("max_words must be at least 1, got " + maxWords);
        }
        this.maxWords = maxWords;
    }

    public String clean(String caption) {
        String s = PUNCTUATION.matcher(caption.toLowerCase(Locale.ROOT)).replaceAll(" ");
        s = WHITESPACE_RUN.matcher(s).replaceAll(" ");
        if (s.endsWith("\n")) {
            s = s.replaceAll("\n+\\z", "");
        }
        s = stripSpaces(s);
        String[] words = s.split(" ", -1);
        return words.length > maxWords ? String.join(" ", Arrays.copyOf(words, maxWords)) : s;
    }

    /** Python's {@code str.strip(" ")}: spaces only, not other whitespace. */
    private static String stripSpaces(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == ' ') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == ' ') {
            end--;
        }
        return s.substring(start, end);
    }
}
