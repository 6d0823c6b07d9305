package org.tiaoyu.qformer.eval;

import java.util.List;
import java.util.Objects;

/**
 * One image's captions as pycocoevalcap's scorers take them: the candidate ({@code res[id][0]}) and the
 * references ({@code gts[id]}), already tokenised, words separated by spaces.
 */
public record ImageCaptions(String candidate, List<String> references) {

    public ImageCaptions {
        Objects.requireNonNull(candidate, "candidate");
        references = List.copyOf(references);
        if (references.isEmpty()) {
            throw new IllegalArgumentException("an image needs at least one reference caption");
        }
    }
}
