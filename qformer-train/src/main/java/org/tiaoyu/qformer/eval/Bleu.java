package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BLEU-1 to BLEU-4 as pycocoevalcap's {@code Bleu(4)} computes them ({@code bleu/bleu.py},
 * {@code bleu/bleu_scorer.py} with the option {@code "closest"}).
 *
 * <p>Each candidate n-gram counts at most as often as it occurs in the one reference that has it most often. The
 * reference length of an image is the one closest to the candidate's length, the shorter of two equally close. The
 * corpus value pools the counts and lengths of all images; an image's value is the same formula on its own counts.
 * BLEU-n is the n-th root of the product of the precisions for 1..n, each {@code (correct + 1e-15) / (total + 1e-9)},
 * times the brevity penalty {@code exp(1 - 1/ratio)} when the ratio {@code (candidate + 1e-15) / (reference + 1e-9)}
 * is below 1, which it is (barely) even for equal lengths: an exact match scores 0.99999999977..., not 1.
 */
public final class Bleu implements CaptionScorer {

    private static final int MAX_N = 4;
    private static final double TINY = 1e-15;
    private static final double SMALL = 1e-9;

    @Override
    public Map<String, MetricScores> score(List<ImageCaptions> images) {
        Counts total = new Counts();
        List<double[]> perImage = new ArrayList<>(images.size());
        for (ImageCaptions image : images) {
            Counts counts = Counts.of(image);
            perImage.add(counts.bleu());
            total.add(counts);
        }
        double[] corpus = total.bleu();
        Map<String, MetricScores> scores = new LinkedHashMap<>();
        for (int n = 0; n < MAX_N; n++) {
            int order = n;
            scores.put("Bleu_" + (n + 1), new MetricScores(corpus[n], perImage.stream().map(b -> b[order]).toList()));
        }
        return scores;
    }

    /** What BLEU needs of one image or of a whole corpus: lengths, and matched and total n-grams by order. */
    private static final class Counts {
        private long candidateLength;
        private long referenceLength;
        private final long[] correct = new long[MAX_N];
        private final long[] guessed = new long[MAX_N];

        static Counts of(ImageCaptions image) {
            NgramCounts candidate = NgramCounts.of(image.candidate(), MAX_N);
            List<NgramCounts> references = image.references().stream().map(r -> NgramCounts.of(r, MAX_N)).toList();
            Counts c = new Counts();
            c.candidateLength = candidate.words();
            c.referenceLength = closestLength(references, candidate.words());
            for (int n = 0; n < MAX_N; n++) {
                c.guessed[n] = Math.max(0, candidate.words() - n);
                for (Map.Entry<String, Integer> e : candidate.byOrder().get(n).entrySet()) {
                    int most = 0;
                    for (NgramCounts reference : references) {
                        most = Math.max(most, reference.byOrder().get(n).getOrDefault(e.getKey(), 0));
                    }
                    c.correct[n] += Math.min(most, e.getValue());
                }
            }
            return c;
        }

        /** {@code min((abs(len - candidate), len))}: the closest length, the shorter on a tie. */
        private static int closestLength(List<NgramCounts> references, int candidate) {
            int best = references.get(0).words();
            for (NgramCounts reference : references) {
                int length = reference.words();
                int distance = Math.abs(length - candidate);
                int bestDistance = Math.abs(best - candidate);
                if (distance < bestDistance || distance == bestDistance && length < best) {
                    best = length;
                }
            }
            return best;
        }

        void add(Counts other) {
            candidateLength += other.candidateLength;
            referenceLength += other.referenceLength;
            for (int n = 0; n < MAX_N; n++) {
                correct[n] += other.correct[n];
                guessed[n] += other.guessed[n];
            }
        }

        /** @return BLEU-1..4, in the Python's order of operations */
        double[] bleu() {
            double[] bleu = new double[MAX_N];
            double product = 1;
            for (int n = 0; n < MAX_N; n++) {
                product *= (correct[n] + TINY) / (guessed[n] + SMALL);
                bleu[n] = Math.pow(product, 1.0 / (n + 1));
            }
            double ratio = (candidateLength + TINY) / (referenceLength + SMALL);
            if (ratio < 1) {
                for (int n = 0; n < MAX_N; n++) {
                    bleu[n] *= Math.exp(1 - 1 / ratio);
                }
            }
            return bleu;
        }
    }
}
