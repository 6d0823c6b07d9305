package org.tiaoyu.qformer.eval;

import java.util.List;

/**
 * One metric over a list of images: the corpus value and each image's value, in the order of the images.
 */
public record MetricScores(double corpus, List<Double> perImage) {

    public MetricScores {
        perImage = List.copyOf(perImage);
    }
}
