package org.tiaoyu.qformer.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link CaptionMetrics#evaluate} found: the corpus scores (COCOEvalCap's {@code eval}) and each evaluated
 * image's scores (its {@code imgToEval}), in the order the images were evaluated.
 *
 * @param <K> the type of the image ids
 */
public record CaptionEvaluation<K>(CaptionScores corpus, Map<K, CaptionScores> perImage) {

    public CaptionEvaluation {
        perImage = Collections.unmodifiableMap(new LinkedHashMap<>(perImage));
    }
}
