package org.tiaoyu.qformer.data;

/**
 * A record left out of training, and why.
 *
 * @param source where it was read ({@code FILE:LINE} or {@code FILE annotations[i]})
 * @param reason what is wrong with it, e.g. {@code image photos/a.jpg: no such file}
 */
public record SkippedRecord(String source, String reason) {

    @Override
    public String toString() {
        return source + ": " + reason;
    }
}
