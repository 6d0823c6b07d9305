package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CIDEr-D as pycocoevalcap's {@code Cider()} computes it ({@code cider/cider.py}, {@code cider/cider_scorer.py}).
 *
 * <p>For n = 1..4, every sentence becomes a vector of tf-idf weights: an n-gram's count times
 * {@code log(N) - log(max(1, df))}, where N is the number of images evaluated and df the number of them whose
 * references contain the n-gram. Against each reference, the candidate scores, for each n, the clipped dot product
 * {@code Σ min(cand, ref)·ref} over the candidate's n-grams, divided by the two vectors' norms (unless one is 0),
 * times the length penalty {@code exp(-δ²/(2·6²))}, where δ is the difference of the two sentences' bigram counts
 * (which is their word-count difference unless one is empty). An image's score is the mean over n, averaged over
 * its references, times 10; the corpus score is the mean over images. With a single image every weight is 0, and
 * so is every score.
 */
public final class CiderD implements CaptionScorer {

    private static final int MAX_N = 4;
    private static final double SIGMA = 6.0;

    @Override
    public Map<String, MetricScores> score(List<ImageCaptions> images) {
        List<NgramCounts> candidates = new ArrayList<>(images.size());
        List<List<NgramCounts>> references = new ArrayList<>(images.size());
        for (ImageCaptions image : images) {
            candidates.add(NgramCounts.of(image.candidate(), MAX_N));
            references.add(image.references().stream().map(r -> NgramCounts.of(r, MAX_N)).toList());
        }
        Weights weights = new Weights(references);
        List<Double> perImage = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            TfIdf candidate = weights.of(candidates.get(i));
            double[] sum = new double[MAX_N];
            for (NgramCounts reference : references.get(i)) {
                double[] similarity = candidate.similarity(weights.of(reference));
                for (int n = 0; n < MAX_N; n++) {
                    sum[n] += similarity[n];
                }
            }
            double mean = 0;
            for (double s : sum) {
                mean += s;
            }
            mean /= MAX_N;
            mean /= references.get(i).size();
            perImage.add(mean * 10.0);
        }
        return Map.of("CIDEr", new MetricScores(PairwiseMean.of(perImage), perImage));
    }

    /** The idf side: how many images' references hold each n-gram, and log N. */
    private static final class Weights {
        private final List<Map<String, Integer>> documentFrequency = new ArrayList<>(MAX_N);
        private final double logImages;

        Weights(List<List<NgramCounts>> references) {
            for (int n = 0; n < MAX_N; n++) {
                Map<String, Integer> df = new HashMap<>();
                for (List<NgramCounts> image : references) {
                    Set<String> seen = new HashSet<>();
                    for (NgramCounts reference : image) {
                        seen.addAll(reference.byOrder().get(n).keySet());
                    }
                    seen.forEach(ngram -> df.merge(ngram, 1, Integer::sum));
                }
                documentFrequency.add(df);
            }
            logImages = Math.log((double) references.size());
        }

        TfIdf of(NgramCounts counts) {
            List<Map<String, Double>> vectors = new ArrayList<>(MAX_N);
            double[] norms = new double[MAX_N];
            for (int n = 0; n < MAX_N; n++) {
                Map<String, Double> vector = new LinkedHashMap<>();
                for (Map.Entry<String, Integer> e : counts.byOrder().get(n).entrySet()) {
                    double df = Math.log(Math.max(1.0, documentFrequency.get(n).getOrDefault(e.getKey(), 0)));
                    double weight = e.getValue() * (logImages - df);
                    vector.put(e.getKey(), weight);
                    norms[n] += weight * weight;
                }
                norms[n] = Math.sqrt(norms[n]);
                vectors.add(vector);
            }
            // the Python's "length" counts bigrams, not words
            int bigrams = counts.byOrder().get(1).values().stream().mapToInt(Integer::intValue).sum();
            return new TfIdf(vectors, norms, bigrams);
        }
    }

    /** One sentence's tf-idf vectors by order, their norms, and its bigram count. */
    private record TfIdf(List<Map<String, Double>> vectors, double[] norms, int bigrams) {

        /** @return for each n, the clipped, normalised and length-penalised similarity to {@code reference} */
        double[] similarity(TfIdf reference) {
            double delta = bigrams - reference.bigrams;
            double penalty = Math.pow(Math.E, -(delta * delta) / (2 * SIGMA * SIGMA));
            double[] value = new double[MAX_N];
            for (int n = 0; n < MAX_N; n++) {
                Map<String, Double> ref = reference.vectors.get(n);
                for (Map.Entry<String, Double> e : vectors.get(n).entrySet()) {
                    double r = ref.getOrDefault(e.getKey(), 0.0);
                    value[n] += Math.min(e.getValue(), r) * r;
                }
                if (norms[n] != 0 && reference.norms[n] != 0) {
                    value[n] /= norms[n] * reference.norms[n];
                }
                value[n] *= penalty;
            }
            return value;
        }
    }
}
