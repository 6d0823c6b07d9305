package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.nn.Embedding;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code Blip2TextEmbeddings} (checkpoint prefix {@code embeddings.}): word + absolute position
 * embeddings of the text (positions 0..T-1), after the query embeddings when given; queries get no position.
 * The LayerNorm over the result is the Q-Former's own ({@code qformer.layernorm}).
 */
public final class QFormerTextEmbeddings extends Module {

    public final Embedding wordEmbeddings;
    public final Embedding positionEmbeddings;

    public QFormerTextEmbeddings(QFormerConfig config, DataType type) {
        this.wordEmbeddings = child("word_embeddings",
                new Embedding(config.vocabSize(), config.hiddenSize(), type));
        this.positionEmbeddings = child("position_embeddings",
                new Embedding(config.maxPositionEmbeddings(), config.hiddenSize(), type));
    }

    /**
     * @param inputIds [B, T] token ids
     * @param queries  [B, Q, D] query embeddings to put first, or null
     * @return [B, Q+T, D]
     */
    public Tensor forward(INDArray inputIds, Tensor queries) {
        long length = inputIds.size(1);
        if (length > positionEmbeddings.weight.size(0)) {
            throw new IllegalArgumentException("text of " + length + " tokens is longer than the "
                    + positionEmbeddings.weight.size(0) + " positions the model has");
        }
        Tensor positions = positionEmbeddings.forward(Nd4j.arange(length).castTo(DataType.INT64)); // [T, D]
        Tensor text = wordEmbeddings.forward(inputIds).add(positions);                              // [B, T, D]
        return queries == null ? text : Ops.concat(1, queries, text);
    }
}
