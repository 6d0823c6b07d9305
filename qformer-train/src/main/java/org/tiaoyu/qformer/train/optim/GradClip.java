package org.tiaoyu.qformer.train.optim;

import java.util.Collection;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.autograd.Tensor;

/** Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {

    private GradClip() {}

    /**
     * Scales all gradients together so that their global 2-norm is at most {@code maxNorm}, in place, as
     * {@code torch.nn.utils.clip_grad_norm_(params, maxNorm)} does: the total is the 2-norm of the per-tensor 2-norms;
     * the gradients are multiplied by {@code min(maxNorm / (total + 1e-6), 1)}. So they are scaled when
     * {@code total + 1e-6 > maxNorm} (also by a hair when total is just under maxNorm, as in PyTorch). A NaN or
     * infinite total is not an error (PyTorch's default {@code error_if_nonfinite=False}): the same arithmetic runs.
     * Parameters without a gradient are skipped.
     *
     * @param params the parameters whose gradients to clip
     * @param maxNorm the largest global norm allowed, positive
     * @return the total norm of the gradients before clipping
     */
    public static double clipGlobalNorm(Collection<Tensor> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
        }
        double total = globalNorm(params);
        double clipCoef = Math.min(maxNorm / (total + 1e-6), 1.0); // NaN stays NaN, as torch.clamp keeps it
        if (clipCoef != 1.0) {
            for (Tensor p : params) {
                if (p.grad() != null) {
                    p.grad().muli(clipCoef);
                }
            }
        }
        return total;
    }

    /** The 2-norm of all gradients together (of the per-tensor 2-norms), as {@link #clipGlobalNorm} measures it. */
    public static double globalNorm(Collection<Tensor> params) {
        double sumOfSquares = 0;
        for (Tensor p : params) {
            INDArray g = p.grad();
            if (g != null) {
                double norm = g.norm2Number().doubleValue();
                sumOfSquares += norm * norm;
            }
        }
        return Math.sqrt(sumOfSquares);
    }
}
