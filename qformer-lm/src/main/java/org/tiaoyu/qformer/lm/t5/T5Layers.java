package org.tiaoyu.qformer.lm.t5;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.T5Config;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * The three sub-layers of a T5 block, each a pre-norm residual branch: {@code h + dropout(f(layer_norm(h)))}, the
 * dropout ({@code dropout_rate}) active in training mode only, as in HF.
 */
final class T5Layers {

    private T5Layers() {}

    /** HF {@code T5LayerSelfAttention}: {@code SelfAttention}, {@code layer_norm}. */
    static final class SelfAttentionLayer extends Module {
        final T5Attention selfAttention;
        final T5LayerNorm layerNorm;
        private final Dropout dropout;

        SelfAttentionLayer(T5Config c, boolean hasRelativeBias, boolean bidirectional, DataType type) {
            this.selfAttention = child("SelfAttention", new T5Attention(c, hasRelativeBias, bidirectional, type));
            this.layerNorm = child("layer_norm", new T5LayerNorm(c.dModel(), c.layerNormEpsilon(), type));
            this.dropout = child("dropout", new Dropout(c.dropoutRate()));
        }

        Tensor forward(Tensor h, Tensor bias) {
            Tensor normed = layerNorm.forward(h);
            return h.add(dropout.forward(selfAttention.forward(normed, normed, bias)));
        }
    }

    /** HF {@code T5LayerCrossAttention}: {@code EncDecAttention}, {@code layer_norm}; no position bias. */
    static final class CrossAttentionLayer extends Module {
        final T5Attention encDecAttention;
        final T5LayerNorm layerNorm;
        private final Dropout dropout;

        CrossAttentionLayer(T5Config c, DataType type) {
            this.encDecAttention = child("EncDecAttention", new T5Attention(c, false, true, type));
            this.layerNorm = child("layer_norm", new T5LayerNorm(c.dModel(), c.layerNormEpsilon(), type));
            this.dropout = child("dropout", new Dropout(c.dropoutRate()));
        }

        Tensor forward(Tensor h, Tensor encoderOutput, Tensor mask) {
            return h.add(dropout.forward(encDecAttention.forward(layerNorm.forward(h), encoderOutput, mask)));
        }
    }

    /**
     * HF {@code T5LayerFF} with {@code DenseReluDense}: {@code wo(act(wi_0 h) · wi_1 h)} when gated (Flan-T5's
     * gated-gelu, {@code T5DenseGatedActDense}), {@code wo(act(wi h))} otherwise ({@code T5DenseActDense}).
     */
    static final class FeedForwardLayer extends Module {
        final Dense denseReluDense;
        final T5LayerNorm layerNorm;
        private final Dropout dropout;

        FeedForwardLayer(T5Config c, DataType type) {
            this.denseReluDense = child("DenseReluDense", new Dense(c, type));
            this.layerNorm = child("layer_norm", new T5LayerNorm(c.dModel(), c.layerNormEpsilon(), type));
            this.dropout = child("dropout", new Dropout(c.dropoutRate()));
        }

        Tensor forward(Tensor h) {
            return h.add(dropout.forward(denseReluDense.forward(layerNorm.forward(h))));
        }
    }

    /** {@code DenseReluDense}: the feed-forward itself, with dropout before {@code wo}. */
    static final class Dense extends Module {
        final Linear wi0;  // "wi_0" (gated) or "wi"
        final Linear wi1;  // null unless gated
        final Linear wo;
        private final Dropout dropout;
        private final T5Config config;

        Dense(T5Config c, DataType type) {
            boolean gated = c.isGatedAct();
            this.wi0 = child(gated ? "wi_0" : "wi", new Linear(c.dModel(), c.dFf(), false, type));
            this.wi1 = gated ? child("wi_1", new Linear(c.dModel(), c.dFf(), false, type)) : null;
            this.wo = child("wo", new Linear(c.dFf(), c.dModel(), false, type));
            this.dropout = child("dropout", new Dropout(c.dropoutRate()));
            this.config = c;
        }

        Tensor forward(Tensor h) {
            Tensor a = config.denseActFn().apply(wi0.forward(h));
            return wo.forward(dropout.forward(wi1 == null ? a : a.mul(wi1.forward(h))));
        }
    }
}
