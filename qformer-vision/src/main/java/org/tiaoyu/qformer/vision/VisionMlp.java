package org.tiaoyu.qformer.vision;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Activation;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code Blip2MLP} and {@code CLIPMLP}, which are the same block: {@code fc2(act(fc1(h)))} with
 * {@code fc1} [F, D] and {@code fc2} [D, F]; exact GELU in BLIP-2, QuickGELU in OpenAI's CLIP.
 */
public final class VisionMlp extends Module {

    public final Linear fc1;
    public final Linear fc2;
    private final Activation activation;

    public VisionMlp(int hidden, int intermediate, Activation activation, DataType type) {
        this.fc1 = child("fc1", new Linear(hidden, intermediate, true, type));
        this.fc2 = child("fc2", new Linear(intermediate, hidden, true, type));
        this.activation = activation;
    }

    /** [B, T, D] → [B, T, D]. */
    public Tensor forward(Tensor hidden) {
        return fc2.forward(activation.apply(fc1.forward(hidden)));
    }
}
