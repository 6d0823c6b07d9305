package org.tiaoyu.qformer.core.qformer;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.KeyValue;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Module;
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

    /**
     * Image features as the query rows' cross-attention reads them: each cross-attention layer's keys and values
     * (null for layers without), computed once and shared by every pass over the same images.
     */
    public record ImageContext(List<KeyValue> perLayer) {

        /** The contexts of the images at {@code rows} (repeats allowed), e.g. ITM's [all; negatives; all]. */
        public ImageContext select(long[] rows) {
            List<KeyValue> selected = new ArrayList<>();
            for (KeyValue kv : perLayer) {
                selected.add(kv == null ? null : kv.select(rows));
            }
            return new ImageContext(selected);
        }

    }

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

    /** The cross-attention keys/values of image features [B, N, Dv] for every layer that has cross-attention. */
    public ImageContext encodeImage(Tensor image) {
        List<KeyValue> perLayer = new ArrayList<>();
        for (QFormerLayer layer : encoder.layer.asList()) {
            perLayer.add(layer.crossattention == null ? null : layer.crossattention.attention.keyValue(image));
        }
        return new ImageContext(perLayer);
    }

    /** {@link #forward(Tensor, int, Tensor, ImageContext, List)} with raw image features (or null). */
    public Output forward(Tensor embeddings, int queryLength, Tensor mask, Tensor image, List<KeyValue> past) {
        return forward(embeddings, queryLength, mask, image == null ? null : encodeImage(image), past);
    }

    /**
     * @param embeddings  [B, L, D]: {@code queryLength} query embeddings, then text embeddings (word + position)
     * @param queryLength how many leading rows are queries (0: text alone)
     * @param mask        additive self-attention mask broadcastable to [B, heads, L, P+L] (see
     *                    {@link MaskStrategy}), or null for all-visible
     * @param image       the images the query rows cross-attend to ({@link #encodeImage}), or null without queries
     * @param past        per layer, cached keys and values of P earlier rows, or null
     */
    public Output forward(Tensor embeddings, int queryLength, Tensor mask, ImageContext image, List<KeyValue> past) {
        Tensor h = dropout.forward(layernorm.forward(embeddings));
        List<Tensor> hiddenStates = new ArrayList<>();
        List<KeyValue> keyValues = new ArrayList<>();
        hiddenStates.add(h);
        for (int i = 0; i < encoder.layer.size(); i++) {
            Result r = encoder.layer.get(i).forward(h, queryLength, mask, image == null ? null : image.perLayer().get(i),
                    past == null ? null : past.get(i));
            h = r.output();
            hiddenStates.add(h);
            keyValues.add(r.keyValue());
        }
        return new Output(h, hiddenStates, keyValues);
    }
}
