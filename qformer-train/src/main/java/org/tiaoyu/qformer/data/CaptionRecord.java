package org.tiaoyu.qformer.data;

import java.nio.file.Path;

/**
 * One training pair: an image and one of its captions (an image with several captions gives several records, as
 * LAVIS's caption datasets do).
 *
 * @param image     the image as the annotation file names it (with {@code /} separators): the key of its features
 *                  in a feature cache
 * @param file      the image file, resolved against the image root
 * @param imageId   the image's id: records with the same id show the same image, so stage 1 does not use one as
 *                  the other's negative
 * @param caption   the caption, cleaned ({@link CaptionCleaner})
 * @param source    where the record was read ({@code FILE:LINE} or {@code FILE annotations[i]}), for messages
 */
public record CaptionRecord(String image, Path file, long imageId, String caption, String source) {}
