package org.tiaoyu.qformer.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Image–text retrieval recall as LAVIS's {@code RetrievalTask._report_metrics} reports it, in percent:
 * image→text recall@1/5/10 ({@code txt_r*}: an image is found at the best rank of any of its captions), text→image
 * recall@1/5/10 ({@code img_r*}), their means, {@code r_mean} (the mean of both means) and {@code agg_metrics}
 * (LAVIS's: the image→text mean).
 *
 * <p>A rank is the number of candidates ranked before the right one. LAVIS sorts with NumPy's
 * {@code argsort(score)[::-1]}, which puts equal scores in reverse index order when the sort is stable (NumPy's
 * default sort only is on short rows); here that rule always holds: a candidate ranks before the right one when its
 * score is higher, or equal with a higher index.
 */
public record RetrievalMetrics(double txtR1, double txtR5, double txtR10, double imgR1, double imgR5, double imgR10) {

    /** Recall@1/5/10 from ranks (0 = found first), in percent. */
    private record Recall(double r1, double r5, double r10) {
        static Recall of(int[] ranks) {
            return new Recall(percentBelow(ranks, 1), percentBelow(ranks, 5), percentBelow(ranks, 10));
        }

        private static double percentBelow(int[] ranks, int k) {
            int found = 0;
            for (int rank : ranks) {
                if (rank < k) {
                    found++;
                }
            }
            return 100.0 * found / ranks.length;
        }
    }

    /**
     * @param textRanks  per image, the best rank of its captions among all texts
     * @param imageRanks per text, the rank of its image among all images
     */
    public static RetrievalMetrics fromRanks(int[] textRanks, int[] imageRanks) {
        if (textRanks.length == 0 || imageRanks.length == 0) {
            throw new IllegalArgumentException("retrieval needs at least one image and one text");
        }
        Recall txt = Recall.of(textRanks);
        Recall img = Recall.of(imageRanks);
        return new RetrievalMetrics(txt.r1(), txt.r5(), txt.r10(), img.r1(), img.r5(), img.r10());
    }

    /**
     * From full score matrices, as LAVIS computes them.
     *
     * @param imageToText [images][texts] scores
     * @param textToImage [texts][images] scores
     * @param textsOfImage per image, the indices of its captions
     * @param imageOfText  per text, the index of its image
     */
    public static RetrievalMetrics fromScores(float[][] imageToText, float[][] textToImage, int[][] textsOfImage,
            int[] imageOfText) {
        int[] textRanks = new int[imageToText.length];
        for (int i = 0; i < imageToText.length; i++) {
            textRanks[i] = bestRank(imageToText[i], textsOfImage[i]);
        }
        int[] imageRanks = new int[textToImage.length];
        for (int t = 0; t < textToImage.length; t++) {
            imageRanks[t] = rank(textToImage[t], imageOfText[t]);
        }
        return fromRanks(textRanks, imageRanks);
    }

    /** The rank of candidate {@code right} in a row of scores: how many rank before it (see the class comment). */
    public static int rank(float[] scores, int right) {
        float s = scores[right];
        int before = 0;
        for (int j = 0; j < scores.length; j++) {
            if (scores[j] > s || (scores[j] == s && j > right)) {
                before++;
            }
        }
        return before;
    }

    /** The best rank of any of {@code rights} in a row of scores. */
    public static int bestRank(float[] scores, int[] rights) {
        int best = Integer.MAX_VALUE;
        for (int right : rights) {
            best = Math.min(best, rank(scores, right));
        }
        return best;
    }

    public double txtRMean() {
        return (txtR1 + txtR5 + txtR10) / 3;
    }

    public double imgRMean() {
        return (imgR1 + imgR5 + imgR10) / 3;
    }

    public double rMean() {
        return (txtRMean() + imgRMean()) / 2;
    }

    /** LAVIS's {@code agg_metrics}: {@code (txt_r1 + txt_r5 + txt_r10) / 3}. */
    public double aggMetrics() {
        return (txtR1 + txtR5 + txtR10) / 3;
    }

    /** LAVIS's keys, in its order. */
    public Map<String, Double> asMap() {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("txt_r1", txtR1);
        out.put("txt_r5", txtR5);
        out.put("txt_r10", txtR10);
        out.put("txt_r_mean", txtRMean());
        out.put("img_r1", imgR1);
        out.put("img_r5", imgR5);
        out.put("img_r10", imgR10);
        out.put("img_r_mean", imgRMean());
        out.put("r_mean", rMean());
        out.put("agg_metrics", aggMetrics());
        return out;
    }
}
