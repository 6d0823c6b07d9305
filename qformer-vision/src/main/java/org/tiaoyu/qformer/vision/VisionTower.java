package org.tiaoyu.qformer.vision;

import java.nio.file.Path;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.ClipVisionConfig;
import org.tiaoyu.qformer.core.config.ModelConfig;

/** A ViT image encoder ({@link Blip2VisionTower}, {@link ClipVisionTower}): pixels in, patch features out. */
public interface VisionTower {

    /**
     * The vision tower of a model directory: all of a {@code CLIPVisionModel}'s layers, or the BLIP-2 tower of a
     * BLIP-2 or {@code Blip2VisionModel} directory.
     */
    static VisionTower load(Path modelDir) {
        return ModelConfig.read(modelDir) instanceof ClipVisionConfig ? ClipVisionTower.load(modelDir, false)
                : Blip2VisionTower.load(modelDir);
    }

    /**
     * Runs the tower, recording the graph when gradients are on and the parameters are not frozen.
     *
     * @param pixelValues [B, C, S, S], normalised as the model's image processor does
     */
    VisionOutput forward(Tensor pixelValues);

    /** {@link #forward} under {@link Grad#off()}: inference, no graph kept. */
    @SuppressWarnings("try") // the scope is only entered and left
    default VisionOutput encode(Tensor pixelValues) {
        try (var noGrad = Grad.off()) {
            return forward(pixelValues);
        }
    }

    /** Width D of the features. */
    int hiddenSize();

    /** The image size S the tower takes (its position embeddings are for S × S). */
    int imageSize();
}
