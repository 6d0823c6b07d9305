package org.tiaoyu.qformer.core.qformer;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.qformer.QFormerMultiHeadAttention.KeyValue;
import org.tiaoyu.qformer.core.qformer.QFormerMultiHeadAttention.Result;

/**
 * Mirrors HF {@code Blip2QFormerModel} (checkpoint prefix {@code qformer.}): LayerNorm and dropout over the input
 * embeddings ([queries ; text]), then the encoder. BERT post-LN layers, exact GELU, eps from the config (1e-12).
 */
public final class QFormerModel extends Module {

    /**
     * @param lastHiddenState [B, L, D]
     * @param hiddenStates    the input after LayerNorm (index 0), then each layer's output
     * @param keyValues       each layer's self-attention keys and values (for LAVIS's ITG pass)
     */
    public record Output(Tensor lastHiddenState, List<Tensor> hiddenStates, List<KeyValue> keyValues) {}

    public final QFormerConfig config;
    public final LayerNorm layernorm;
    private final Dropout dropout;
    public final QFormerEncoder encoder;

    /** A Q-Former with text feed-forward blocks when the config says it reads text (use_qformer_text_input). */
    public QFormerModel(QFormerConfig config, DataType type) {
        this(config, config.useQformerTextInput(), type);
    }

    /** @param textInput whether the layers get the text rows' feed-forward blocks (stage 1 needs them) */
    public QFormerModel(QFormerConfig config, boolean textInput, DataType type) {
        this.config = config;
        this.layernorm = child("layernorm", new LayerNorm(config.hiddenSize(), config.layerNormEps(), type));
        this.dropout = child("dropout", new Dropout(config.hiddenDropoutProb()));
        this.encoder = child("encoder", new QFormerEncoder(config, textInput, type));
    }

    /**
     * @param embeddings  [B, L, D]: {@code queryLength} query embeddings, then text embeddings (word + position)
     * @param queryLength how many leading rows are queries (0: text alone)
     * @param mask        additive self-attention mask broadcastable to [B, heads, L, P+L] (see
     *                    {@link AttentionMasks}), or null for all-visible
     * @param image       [B, N, Dv] image features the query rows cross-attend to, or null without queries
     * @param past        per layer, cached keys and values of P earlier rows, or null
     */
    public Output forward(Tensor embeddings, int queryLength, Tensor mask, Tensor image, List<KeyValue> past) {
        Tensor h = dropout.forward(layernorm.forward(embeddings));
        List<Tensor> hiddenStates = new ArrayList<>();
        List<KeyValue> keyValues = new ArrayList<>();
        hiddenStates.add(h);
        for (int i = 0; i < encoder.layer.size(); i++) {
            Result r = encoder.layer.get(i).forward(h, queryLength, mask, image, past == null ? null : past.get(i));
            h = r.output();
            hiddenStates.add(h);
            keyValues.add(r.keyValue());
        }
        return new Output(h, hiddenStates, keyValues);
    }
}
