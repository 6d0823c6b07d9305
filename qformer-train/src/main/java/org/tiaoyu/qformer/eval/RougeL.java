package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ROUGE-L as pycocoevalcap's {@code Rouge()} computes it ({@code rouge/rouge.py}): the longest common
 * subsequence of words (split on single spaces, as Python's {@code split(" ")}) with each reference gives a
 * precision and a recall; the largest precision and the largest recall over the references, taken separately,
 * make the F-measure {@code (1 + β²)·P·R / (R + β²·P)} with β = 1.2 (0 when either is 0). The corpus value is the
 * mean over images.
 */
public final class RougeL implements CaptionScorer {

    private static final double BETA_SQUARED = 1.2 * 1.2;

    @Override
    public Map<String, MetricScores> score(List<ImageCaptions> images) {
        List<Double> perImage = new ArrayList<>(images.size());
        for (ImageCaptions image : images) {
            perImage.add(score(image));
        }
        return Map.of("ROUGE_L", new MetricScores(PairwiseMean.of(perImage), perImage));
    }

    private static double score(ImageCaptions image) {
        String[] candidate = image.candidate().split(" ", -1);
        double precision = 0;
        double recall = 0;
        for (String reference : image.references()) {
            String[] words = reference.split(" ", -1);
            int lcs = longestCommonSubsequence(words, candidate);
            precision = Math.max(precision, lcs / (double) candidate.length);
            recall = Math.max(recall, lcs / (double) words.length);
        }
        if (precision == 0 || recall == 0) {
            return 0.0;
        }
        return (1 + BETA_SQUARED) * precision * recall / (recall + BETA_SQUARED * precision);
    }

    private static int longestCommonSubsequence(String[] a, String[] b) {
        int[] previous = new int[b.length + 1];
        int[] current = new int[b.length + 1];
        for (String x : a) {
            for (int j = 1; j <= b.length; j++) {
                current[j] = x.equals(b[j - 1]) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length];
    }
}
