package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * COCO caption evaluation as pycocoevalcap's {@code COCOEvalCap.evaluate} ({@code eval.py}) runs it, without
 * METEOR and SPICE: references and candidates tokenised by {@link PtbTokenizer}, then {@link Bleu}, {@link RougeL}
 * and {@link CiderD} over the images that have a prediction.
 *
 * <p>Only the images with a prediction are evaluated, in the order of the references map; as in pycocoevalcap,
 * they alone make CIDEr-D's document frequencies. The order matters only to the last bits of the means;
 * {@link CocoCaptionFiles} reads the COCO files in the order pycocotools reads them.
 */
public final class CaptionMetrics {

    private static final List<CaptionScorer> SCORERS = List.of(new Bleu(), new RougeL(), new CiderD());

    private final PtbTokenizer tokenizer;

    private CaptionMetrics(PtbTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** @return an evaluator that tokenises references and predictions first, as COCOEvalCap does */
    public static CaptionMetrics tokenizing() {
        return new CaptionMetrics(new PtbTokenizer());
    }

    /** @return an evaluator for captions already tokenised (words separated by spaces), used as they are */
    public static CaptionMetrics pretokenized() {
        return new CaptionMetrics(null);
    }

    /**
     * @param references  each image's reference captions
     * @param predictions one caption per image to evaluate; each must have at least one reference
     * @throws IllegalArgumentException when there is no prediction, or a prediction is null or has no references
     */
    public <K> CaptionEvaluation<K> evaluate(Map<K, ? extends List<String>> references, Map<K, String> predictions) {
        if (predictions.isEmpty()) {
            throw new IllegalArgumentException("no predictions to evaluate");
        }
        for (Map.Entry<K, String> p : predictions.entrySet()) {
            List<String> refs = references.get(p.getKey());
            if (refs == null || refs.isEmpty()) {
                throw new IllegalArgumentException("the prediction for image " + p.getKey() + " has no references");
            }
            if (p.getValue() == null) {
                throw new IllegalArgumentException("the prediction for image " + p.getKey() + " is null");
            }
        }
        List<K> ids = new ArrayList<>(predictions.size());
        List<ImageCaptions> images = new ArrayList<>(predictions.size());
        for (Map.Entry<K, ? extends List<String>> r : references.entrySet()) {
            String prediction = predictions.get(r.getKey());
            if (prediction != null) {
                ids.add(r.getKey());
                images.add(new ImageCaptions(tokenize(prediction), r.getValue().stream().map(this::tokenize).toList()));
            }
        }
        Map<String, MetricScores> metrics = new HashMap<>();
        SCORERS.forEach(scorer -> metrics.putAll(scorer.score(images)));
        Map<K, CaptionScores> perImage = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            int image = i;
            perImage.put(ids.get(i), CaptionScores.of(name -> metrics.get(name).perImage().get(image)));
        }
        return new CaptionEvaluation<>(CaptionScores.of(name -> metrics.get(name).corpus()), perImage);
    }

    private String tokenize(String caption) {
        return tokenizer == null ? caption : tokenizer.tokenize(caption);
    }
}
