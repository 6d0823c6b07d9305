package org.tiaoyu.qformer.eval;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.image.ImageProcessor;

/** Turns gallery images into what the Q-Former cross-attends to: vision features [B, P, D] after post_layernorm. */
@FunctionalInterface
public interface GalleryImageEncoder {

    /** Called without gradients, a batch at a time. */
    INDArray encode(List<CaptionRecord> images);

    /** Decodes each record's {@link CaptionRecord#file()}, processes it as {@code processor} says, runs the tower. */
    static GalleryImageEncoder of(Blip2VisionTower tower, ImageProcessor processor) {
        return images -> {
            INDArray pixels = processor.pixelValues(images.stream().map(CaptionRecord::file).toList());
            return tower.encode(Tensor.constant(pixels)).lastHiddenState().data();
        };
    }
}
