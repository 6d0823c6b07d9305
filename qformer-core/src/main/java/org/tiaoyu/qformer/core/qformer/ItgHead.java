package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * The ITG language-model head, LAVIS's {@code BertOnlyMLMHead} (checkpoint prefix {@code cls.}):
 * {@code predictions.transform} (dense, GELU, LayerNorm), then a decoder tied to the text word embeddings plus
 * {@code predictions.bias}. HF's BLIP-2 classes drop it; stage-1 checkpoints keep it (DESIGN §3).
 */
public final class ItgHead extends Module {

    /** {@code cls.predictions}: the transform, and the output bias. */
    public static final class Predictions extends Module {
        public final Transform transform;
        public final Tensor bias;

        Predictions(QFormerConfig c, DataType type) {
            this.transform = child("transform", new Transform(c, type));
            this.bias = parameter("bias", Nd4j.zeros(type, c.vocabSize()));
        }
    }

    /** {@code cls.predictions.transform}: {@code LayerNorm(act(dense(h)))}. */
    public static final class Transform extends Module {
        public final Linear dense;
        public final LayerNorm layerNorm;
        private final QFormerConfig config;

        Transform(QFormerConfig c, DataType type) {
            this.dense = child("dense", new Linear(c.hiddenSize(), c.hiddenSize(), true, type));
            this.layerNorm = child("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps(), type));
            this.config = c;
        }

        Tensor forward(Tensor h) {
            return layerNorm.forward(config.hiddenAct().apply(dense.forward(h)));
        }
    }

    public final Predictions predictions;
    private final Tensor decoderWeight;

    /** @param wordEmbeddings the text word embeddings [V, D], shared as the decoder's weight */
    public ItgHead(QFormerConfig config, Tensor wordEmbeddings, DataType type) {
        this.predictions = child("predictions", new Predictions(config, type));
        this.decoderWeight = wordEmbeddings;
    }

    /** [B, T, D] → vocabulary scores [B, T, V]. */
    public Tensor forward(Tensor hidden) {
        return Ops.linear(predictions.transform.forward(hidden), decoderWeight, predictions.bias);
    }
}
