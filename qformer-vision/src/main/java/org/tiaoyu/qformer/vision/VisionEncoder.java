package org.tiaoyu.qformer.vision;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.ModuleList;

/**
 * Mirrors HF {@code Blip2Encoder} and {@code CLIPEncoder}: the stack {@code layers.i} of {@link VisionEncoderLayer}s.
 *
 * @param <A> the layers' attention block
 */
public final class VisionEncoder<A extends Module & SelfAttention> extends Module {

    public final ModuleList<VisionEncoderLayer<A>> layers;

    /** @param layer builds layer i */
    public VisionEncoder(int numLayers, IntFunction<VisionEncoderLayer<A>> layer) {
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            layers.add(layer.apply(i));
        }
    }

    /**
     * @return the input [B, T, D] (index 0), then each layer's output [B, T, D]. With gradients off, each layer runs
     *         in its own rewound {@link Arena}, so only the hidden states stay in memory, not every temporary.
     */
    public List<Tensor> forward(Tensor input) {
        List<Tensor> hiddenStates = new ArrayList<>(layers.size() + 1);
        Tensor h = input;
        hiddenStates.add(h);
        for (VisionEncoderLayer<A> layer : layers.asList()) {
            Tensor in = h;
            h = Grad.isEnabled() ? layer.forward(in) : Arena.stage("vision-layer", () -> layer.forward(in));
            hiddenStates.add(h);
        }
        return hiddenStates;
    }
}
