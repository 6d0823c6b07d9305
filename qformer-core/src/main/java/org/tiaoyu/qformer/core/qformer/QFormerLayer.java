package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.nn.KeyValue;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.qformer.QFormerMultiHeadAttention.Result;

/**
 * Mirrors HF {@code Blip2QFormerLayer}: one self-attention shared by the query rows and the text rows; then, on the
 * query rows only, cross-attention to the image features (in layers where {@code index % cross_attention_frequency
 * == 0}) and the query feed-forward ({@code intermediate_query}, {@code output_query}); the text rows take their own
 * feed-forward ({@code intermediate}, {@code output}), which HF builds only when the Q-Former reads text
 * ({@code use_qformer_text_input}).
 */
public final class QFormerLayer extends Module {

    public final QFormerAttention attention;
    public final QFormerAttention crossattention; // null in layers without cross-attention
    public final QFormerIntermediate intermediate; // null without text input
    public final QFormerOutput output;             // null without text input
    public final QFormerIntermediate intermediateQuery;
    public final QFormerOutput outputQuery;

    public QFormerLayer(QFormerConfig c, int index, boolean textInput, DataType type) {
        int d = c.hiddenSize();
        this.attention = child("attention", new QFormerAttention(d, d, c.numAttentionHeads(), c.layerNormEps(),
                c.attentionProbsDropoutProb(), c.hiddenDropoutProb(), type));
        this.crossattention = index % c.crossAttentionFrequency() != 0 ? null
                : child("crossattention", new QFormerAttention(d, c.encoderHiddenSize(), c.numAttentionHeads(),
                        c.layerNormEps(), c.attentionProbsDropoutProb(), c.hiddenDropoutProb(), type));
        this.intermediate = !textInput ? null
                : child("intermediate", new QFormerIntermediate(d, c.intermediateSize(), c.hiddenAct(), type));
        this.output = !textInput ? null : child("output", new QFormerOutput(c.intermediateSize(), d,
                c.layerNormEps(), c.hiddenDropoutProb(), type));
        this.intermediateQuery = child("intermediate_query",
                new QFormerIntermediate(d, c.intermediateSize(), c.hiddenAct(), type));
        this.outputQuery = child("output_query", new QFormerOutput(c.intermediateSize(), d, c.layerNormEps(),
                c.hiddenDropoutProb(), type));
    }

    /**
     * @param hidden      [B, L, D]: {@code queryLength} query rows, then text rows
     * @param queryLength how many leading rows are queries (0 for text alone)
     * @param mask        additive self-attention mask, broadcastable to [B, heads, L, P+L], or null
     * @param image       this layer's cross-attention keys/values of the image features (see
     *                    {@link QFormerModel#encodeImage}); null when there are no query rows or no cross-attention
     * @param past        cached keys and values of P earlier rows (LAVIS's ITG pass), or null
     * @return [B, L, D] and this layer's self-attention keys and values
     */
    public Result forward(Tensor hidden, int queryLength, Tensor mask, KeyValue image, KeyValue past) {
        Result self = attention.forward(hidden, hidden, mask, past);
        Tensor h = self.output();
        long rows = h.size(1);
        if (queryLength == 0) {
            return new Result(textFeedForward(h), self.keyValue());
        }
        Tensor queries = h.slice(1, 0, queryLength);
        if (crossattention != null) {
            if (image == null) {
                throw new IllegalArgumentException("query rows need image features for cross-attention");
            }
            queries = crossattention.forward(queries, null, null, image).output();
        }
        Tensor out = outputQuery.forward(intermediateQuery.forward(queries), queries);
        if (rows > queryLength) {
            Tensor text = h.slice(1, queryLength, rows);
            out = Ops.concat(1, out, textFeedForward(text));
        }
        return new Result(out, self.keyValue());
    }

    private Tensor textFeedForward(Tensor text) {
        if (intermediate == null) {
            throw new IllegalStateException("this Q-Former reads no text (use_qformer_text_input is false)");
        }
        return output.forward(intermediate.forward(text), text);
    }
}
