package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pycocoevalcap's {@code precook} (in {@code bleu/bleu_scorer.py} and {@code cider/cider_scorer.py}): a sentence
 * split into words as Python's {@code str.split()} splits it, and the count of each n-gram for n = 1..maxN. The
 * n-grams of each length are kept in the order first seen, the order in which the Python iterates over them.
 *
 * @param words   the number of words
 * @param byOrder element {@code n - 1}: each n-gram (its words joined by single spaces) and its count
 */
record NgramCounts(int words, List<Map<String, Integer>> byOrder) {

    static NgramCounts of(String sentence, int maxN) {
        List<String> words = pythonSplit(sentence);
        List<Map<String, Integer>> byOrder = new ArrayList<>(maxN);
        for (int n = 1; n <= maxN; n++) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (int i = 0; i + n <= words.size(); i++) {
                counts.merge(String.join(" ", words.subList(i, i + n)), 1, Integer::sum);
            }
            byOrder.add(counts);
        }
        return new NgramCounts(words.size(), byOrder);
    }

    /** Python's {@code str.split()}: runs of Unicode whitespace, including the non-breaking space, separate words. */
    static List<String> pythonSplit(String s) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); i++) {
            if (isPythonSpace(s.charAt(i))) {
                if (start >= 0) {
                    words.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) {
            words.add(s.substring(start));
        }
        return words;
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
