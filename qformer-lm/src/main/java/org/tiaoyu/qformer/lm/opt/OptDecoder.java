package org.tiaoyu.qformer.lm.opt;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.nn.Embedding;
import org.tiaoyu.qformer.core.nn.KeyValueCache;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.ModuleList;
import org.tiaoyu.qformer.core.qformer.MaskStrategy;

/**
 * Mirrors HF {@code OPTDecoder}: token embeddings (optionally projected in to the model width), learned positions
 * from the attention mask ({@code cumsum(mask)·mask − 1}, offset 2: padding gets row 1), pre-LN decoder layers under a
 * causal + padding mask, a final LayerNorm, and the projection out.
 */
public final class OptDecoder extends Module {

    /** HF's {@code OPTLearnedPositionalEmbedding.offset}. */
    static final int POSITION_OFFSET = 2;

    /**
     * @param hiddenStates the embeddings + positions (index 0), each layer's input after it, and last the final
     *                     output (after the final LayerNorm and projection), as HF's {@code hidden_states}
     */
    public record Output(Tensor lastHiddenState, List<Tensor> hiddenStates) {}

    public final Embedding embedTokens;
    public final Embedding embedPositions;
    public final Linear projectIn;       // null unless word_embed_proj_dim differs from hidden_size
    public final Linear projectOut;
    public final LayerNorm finalLayerNorm; // null for OPT-350m's post-LN layout
    public final ModuleList<OptDecoderLayer> layers;

    public OptDecoder(OptConfig c, DataType type) {
        int width = c.hiddenSize();
        int embed = c.wordEmbedProjDim();
        this.embedTokens = child("embed_tokens", new Embedding(c.vocabSize(), embed, type));
        this.embedPositions = child("embed_positions",
                new Embedding(c.maxPositionEmbeddings() + POSITION_OFFSET, width, type));
        this.projectOut = embed == width ? null : child("project_out", new Linear(width, embed, false, type));
        this.projectIn = embed == width ? null : child("project_in", new Linear(embed, width, false, type));
        this.finalLayerNorm = c.doLayerNormBefore() && !c.removeFinalLayerNorm()
                ? child("final_layer_norm", new LayerNorm(width, 1e-5, type)) : null;
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(new OptDecoderLayer(c, type));
        }
    }

    /**
     * @param inputsEmbeds  [B, T, E] token embeddings (with image features in place, for BLIP-2)
     * @param attentionMask [B, T], 1 for real tokens
     */
    public Output forward(Tensor inputsEmbeds, INDArray attentionMask) {
        return forward(inputsEmbeds, attentionMask, null);
    }

    /**
     * With a KV cache (generation): {@code inputsEmbeds} [B, T, E] are the T newest tokens, {@code attentionMask}
     * [B, P+T] covers the P cached ones too, and {@code caches} holds every layer's keys/values of those P; these T
     * are appended to them. Null caches: no caching (P = 0).
     */
    public Output forward(Tensor inputsEmbeds, INDArray attentionMask, List<KeyValueCache> caches) {
        int t = (int) inputsEmbeds.size(1);
        int total = (int) attentionMask.size(1);
        Tensor h = projectIn == null ? inputsEmbeds : projectIn.forward(inputsEmbeds);
        INDArray positions = positions(attentionMask);
        h = h.add(embedPositions.forward(positions.get(NDArrayIndex.all(), NDArrayIndex.interval(total - t, total))));
        Tensor mask = MaskStrategy.additive(causalVisibility(attentionMask, t), h.dataType());
        List<Tensor> hiddenStates = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            hiddenStates.add(h);
            OptDecoderLayer layer = layers.get(i);
            KeyValueCache cache = caches == null ? null : caches.get(i);
            Tensor in = h;
            // Inference keeps only each layer's output, not its temporaries (a long prompt's scores are large).
            h = Grad.isEnabled() ? layer.forward(in, mask, cache)
                    : Arena.stage("lm-layer", () -> layer.forward(in, mask, cache));
        }
        if (finalLayerNorm != null) {
            h = finalLayerNorm.forward(h);
        }
        if (projectOut != null) {
            h = projectOut.forward(h);
        }
        hiddenStates.add(h);
        return new Output(h, hiddenStates);
    }

    /** {@code cumsum(mask)·mask − 1 + offset}, [B, T]. */
    static INDArray positions(INDArray attentionMask) {
        long[] mask = attentionMask.reshape(attentionMask.length()).castTo(DataType.INT64).toLongVector();
        int b = (int) attentionMask.size(0);
        int t = (int) attentionMask.size(1);
        long[] out = new long[b * t];
        for (int i = 0; i < b; i++) {
            long count = 0;
            for (int j = 0; j < t; j++) {
                count += mask[i * t + j];
                out[i * t + j] = count * mask[i * t + j] - 1 + POSITION_OFFSET;
            }
        }
        return Nd4j.createFromArray(out).reshape(b, t);
    }

    /**
     * The last {@code rows} positions' view of the sequence: row r (position L − rows + r) sees the real tokens at
     * columns ≤ its position. [B, rows, L], 1 = visible.
     */
    static INDArray causalVisibility(INDArray attentionMask, int rows) {
        int b = (int) attentionMask.size(0);
        int t = (int) attentionMask.size(1);
        long[] mask = attentionMask.reshape(attentionMask.length()).castTo(DataType.INT64).toLongVector();
        float[] visible = new float[b * rows * t];
        for (int i = 0; i < b; i++) {
            for (int r = 0; r < rows; r++) {
                int position = t - rows + r;
                for (int col = 0; col <= position; col++) {
                    if (mask[i * t + col] != 0) {
                        visible[(i * rows + r) * t + col] = 1f;
                    }
                }
            }
        }
        return Nd4j.create(visible, new long[] {b, rows, t}, 'c');
    }
}
