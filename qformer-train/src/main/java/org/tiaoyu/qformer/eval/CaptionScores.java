package org.tiaoyu.qformer.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The six caption metrics COCOEvalCap reports without METEOR and SPICE ({@code eval.py}), for a corpus or for one
 * image (its {@code eval} and {@code imgToEval} entries).
 */
public record CaptionScores(double bleu1, double bleu2, double bleu3, double bleu4, double rougeL, double cider) {

    /** pycocoevalcap's names of the metrics, in its order. */
    public static final List<String> NAMES = List.of("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr");

    /** @param byName the value of each of {@link #NAMES} */
    static CaptionScores of(Function<String, Double> byName) {
        return new CaptionScores(byName.apply("Bleu_1"), byName.apply("Bleu_2"), byName.apply("Bleu_3"),
                byName.apply("Bleu_4"), byName.apply("ROUGE_L"), byName.apply("CIDEr"));
    }

    /** @return the values by pycocoevalcap's names, in {@link #NAMES} order */
    public Map<String, Double> asMap() {
        Map<String, Double> map = new LinkedHashMap<>();
        map.put("Bleu_1", bleu1);
        map.put("Bleu_2", bleu2);
        map.put("Bleu_3", bleu3);
        map.put("Bleu_4", bleu4);
        map.put("ROUGE_L", rougeL);
        map.put("CIDEr", cider);
        return map;
    }
}
