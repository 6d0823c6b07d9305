package org.tiaoyu.qformer.eval;

import java.util.List;
import java.util.Map;

/** A caption metric as pycocoevalcap's scorers compute it from tokenised captions ({@code compute_score}). */
public interface CaptionScorer {

    /**
     * @param images at least one image
     * @return each metric it computes, by pycocoevalcap's name ({@code Bleu_1}, ...), in pycocoevalcap's order
     */
    Map<String, MetricScores> score(List<ImageCaptions> images);
}
