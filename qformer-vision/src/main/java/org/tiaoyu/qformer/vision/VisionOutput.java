package org.tiaoyu.qformer.vision;

import java.util.List;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * What a vision tower returns, HF's {@code BaseModelOutputWithPooling}.
 *
 * @param lastHiddenState [B, N+1, D]: after {@code post_layernorm} for BLIP-2, before it for CLIP (each as HF returns
 *                        it); this is what the Q-Former cross-attends to
 * @param poolerOutput    [B, D], {@code post_layernorm} of the class token of {@code lastHiddenState}
 * @param hiddenStates    [B, N+1, D] each: the encoder's input (index 0), then every layer's output, none of them
 *                        after {@code post_layernorm}
 */
public record VisionOutput(Tensor lastHiddenState, Tensor poolerOutput, List<Tensor> hiddenStates) {

    public VisionOutput {
        hiddenStates = List.copyOf(hiddenStates);
    }
}
