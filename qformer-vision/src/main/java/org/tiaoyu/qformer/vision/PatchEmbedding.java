package org.tiaoyu.qformer.vision;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * The {@code patch_embedding} of HF's {@code Blip2VisionEmbeddings} and {@code CLIPVisionEmbeddings}: a
 * {@code torch.nn.Conv2d} whose stride equals its kernel. Such a convolution is exactly a linear layer over
 * non-overlapping patches, which is how it runs here: the image [B, C, H, W] is cut into patches [B, N, C·p·p]
 * (channel-major within a patch, as the weight flattens) and multiplied by the weight viewed as [D, C·p·p]. The
 * parameter keeps its checkpoint shape [D, C, p, p].
 */
public final class PatchEmbedding extends Module {

    public final Tensor weight;
    public final Tensor bias;
    private final int patchSize;

    /** @param bias whether the convolution has a bias [D] (BLIP-2 yes, CLIP no) */
    public PatchEmbedding(int channels, int hidden, int patchSize, boolean bias, DataType type) {
        this.weight = parameter("weight", Nd4j.zeros(type, hidden, channels, patchSize, patchSize));
        this.bias = bias ? parameter("bias", Nd4j.zeros(type, hidden)) : null;
        this.patchSize = patchSize;
    }

    /** pixels [B, C, H, W] with H and W multiples of the patch size → [B, (H/p)·(W/p), D], patches row-major. */
    public Tensor forward(Tensor pixels) {
        long channels = weight.size(1);
        if (pixels.rank() != 4 || pixels.size(1) != channels) {
            throw new IllegalArgumentException("pixel values must be [batch, " + channels + ", height, width], got "
                    + Arrays.toString(pixels.shape()));
        }
        long b = pixels.size(0);
        long h = pixels.size(2) / patchSize;
        long w = pixels.size(3) / patchSize;
        if (h * patchSize != pixels.size(2) || w * patchSize != pixels.size(3)) {
            throw new IllegalArgumentException("image size " + pixels.size(2) + "x" + pixels.size(3)
                    + " is not a multiple of the patch size " + patchSize);
        }
        long patchLength = channels * patchSize * patchSize;
        Tensor patches = pixels.reshape(b, channels, h, patchSize, w, patchSize)   // [B, C, h, p, w, p]
                .permute(0, 2, 4, 1, 3, 5);                                         // [B, h, w, C, p, p]
        patches = Ops.contiguous(patches).reshape(b, h * w, patchLength);           // [B, N, C·p·p]
        return Ops.linear(patches, weight.reshape(weight.size(0), patchLength), bias); // [B, N, D]
    }

    /**
     * {@code [class; patches] + positions}, the sequence both embeddings build; for an image of another size than
     * the model's, the positions are resized to its patch grid first ({@link PositionInterpolation}).
     *
     * @param classEmbedding [1, 1, D]
     * @param patches        [B, N, D] from {@code pixels}
     * @param pixels         [B, C, H, W], for the patch grid
     * @param positions      [N0+1, D] or [1, N0+1, D]
     * @return [B, N+1, D]
     */
    Tensor withClassAndPositions(Tensor classEmbedding, Tensor patches, Tensor pixels, Tensor positions) {
        long n = patches.size(1);
        if (positions.size(-2) != n + 1) {
            positions = PositionInterpolation.resize(positions, (int) (pixels.size(2) / patchSize),
                    (int) (pixels.size(3) / patchSize));
        }
        Tensor zeros = Tensor.constant(Nd4j.zeros(patches.dataType(), patches.size(0), 1, patches.size(2)));
        Tensor cls = classEmbedding.add(zeros);                                      // [B, 1, D]
        return Ops.concat(1, cls, patches).add(positions);                           // [B, N+1, D]
    }
}
