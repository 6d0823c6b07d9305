package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tiaoyu.qformer.data.CaptionRecord;

/**
 * What retrieval is evaluated on, as LAVIS's {@code RetrievalEvalDataset} lays it out: the distinct images in order
 * of first appearance, every caption as a text, and which texts belong to which image.
 *
 * @param images       one record per image (its first caption's), in gallery order
 * @param texts        every caption, in record order
 * @param textsOfImage per image, the indices of its texts
 * @param imageOfText  per text, the index of its image
 */
public record RetrievalGallery(List<CaptionRecord> images, List<String> texts, int[][] textsOfImage,
        int[] imageOfText) {

    /** Groups caption records by their image ({@link CaptionRecord#image()}). */
    public static RetrievalGallery of(List<CaptionRecord> records) {
        Map<String, Integer> indexOfImage = new LinkedHashMap<>();
        List<CaptionRecord> images = new ArrayList<>();
        List<List<Integer>> texts = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        int[] imageOfText = new int[records.size()];
        for (int t = 0; t < records.size(); t++) {
            CaptionRecord r = records.get(t);
            Integer image = indexOfImage.get(r.image());
            if (image == null) {
                image = images.size();
                indexOfImage.put(r.image(), image);
                images.add(r);
                texts.add(new ArrayList<>());
            }
            texts.get(image).add(t);
            captions.add(r.caption());
            imageOfText[t] = image;
        }
        int[][] textsOfImage = texts.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray())
                .toArray(int[][]::new);
        return new RetrievalGallery(List.copyOf(images), List.copyOf(captions), textsOfImage, imageOfText);
    }

    public int imageCount() {
        return images.size();
    }

    public int textCount() {
        return texts.size();
    }
}
