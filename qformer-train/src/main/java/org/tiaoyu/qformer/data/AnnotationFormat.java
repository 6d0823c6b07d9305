package org.tiaoyu.qformer.data;

import java.util.Locale;

/** The caption annotation files {@link CaptionDataset} reads. */
public enum AnnotationFormat {
    /** COCO captions: {@code {"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]}}. */
    COCO,
    /**
     * LAVIS's Karpathy-split lists ({@code coco_karpathy_train.json}):
     * {@code [{"image": path, "caption": text or [texts], "image_id": id}]}.
     */
    KARPATHY,
    /** One JSON object per line: {@code {"image": path, "caption": text or [texts], "image_id": optional}}. */
    JSONL;

    /** The config's name for it: {@code coco}, {@code karpathy}, {@code jsonl}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * By the config's name; null for {@code auto}, which {@link CaptionDataset#read} decides from the file: JSONL for
     * a {@code .jsonl} name, else COCO for a JSON object and Karpathy for a JSON list.
     */
    public static AnnotationFormat parse(String name) {
        if (name.equals("auto")) {
            return null;
        }
        for (AnnotationFormat f : values()) {
            if (f.configName().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown annotation format \"" + name
                + "\" (auto, coco, karpathy or jsonl)");
    }
}
