package org.tiaoyu.qformer.lm.t5;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.T5Config;
import org.tiaoyu.qformer.core.nn.Dropout;
import org.tiaoyu.qformer.core.nn.KeyValue;
import org.tiaoyu.qformer.core.nn.KeyValueCache;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.ModuleList;
import org.tiaoyu.qformer.core.qformer.MaskStrategy;

/**
 * Mirrors HF {@code T5Stack}, the encoder or the decoder: {@code block.i.layer.{0,1,2}} and {@code final_layer_norm};
 * the relative position bias of block 0 serves every block; in training mode dropout (HF {@code dropout}) over the
 * input embeddings and the final output. The token embeddings are the model's {@code shared}.
 */
public final class T5Stack extends Module {

    /** HF {@code T5Block}: self-attention, cross-attention (decoder only), feed-forward. */
    static final class Block extends Module {
        final ModuleList<Module> layer = child("layer", new ModuleList<>());
        final T5Layers.SelfAttentionLayer selfAttention;
        final T5Layers.CrossAttentionLayer crossAttention;
        final T5Layers.FeedForwardLayer feedForward;

        Block(T5Config c, boolean decoder, boolean first, DataType type) {
            this.selfAttention = layer.add(new T5Layers.SelfAttentionLayer(c, first, !decoder, type));
            this.crossAttention = decoder ? layer.add(new T5Layers.CrossAttentionLayer(c, type)) : null;
            this.feedForward = layer.add(new T5Layers.FeedForwardLayer(c, type));
        }

        /** h [B, T, D] → [B, T, D]; {@code encoderOutput} and {@code crossBias} only in the decoder. */
        Tensor forward(Tensor h, Tensor selfBias, Tensor encoderOutput, Tensor crossBias) {
            h = selfAttention.forward(h, selfBias);
            if (crossAttention != null) {
                h = crossAttention.forward(h, encoderOutput, crossBias);
            }
            return feedForward.forward(h);
        }
    }

    public final ModuleList<Block> block = child("block", new ModuleList<>());
    public final T5LayerNorm finalLayerNorm;
    private final Dropout dropout;
    private final boolean decoder;

    public T5Stack(T5Config c, boolean decoder, DataType type) {
        int layers = decoder ? c.numDecoderLayers() : c.numLayers();
        for (int i = 0; i < layers; i++) {
            block.add(new Block(c, decoder, i == 0, type));
        }
        this.finalLayerNorm = child("final_layer_norm", new T5LayerNorm(c.dModel(), c.layerNormEpsilon(), type));
        this.dropout = child("dropout", new Dropout(c.dropoutRate()));
        this.decoder = decoder;
    }

    /**
     * @param embeds        [B, T, D]
     * @param attentionMask [B, T] padding of the rows (1 = real)
     * @param encoderOutput [B, S, D] for the decoder, null for the encoder
     * @param encoderMask   [B, S] padding of the encoder output, for the decoder
     * @return [B, T, D] after the final LayerNorm
     */
    public Tensor forward(Tensor embeds, INDArray attentionMask, Tensor encoderOutput, INDArray encoderMask) {
        int t = (int) embeds.size(1);
        INDArray visible = decoder ? causal(attentionMask) : padding(attentionMask, t);
        Tensor selfBias = block.get(0).selfAttention.selfAttention.positionBias(0, t, t)
                .add(MaskStrategy.additive(visible, embeds.dataType()));
        Tensor crossBias = decoder ? MaskStrategy.additive(padding(encoderMask, t), embeds.dataType()) : null;
        Tensor h = dropout.forward(embeds);
        for (Block b : block.asList()) {
            Tensor in = h;
            // Inference keeps only each block's output, not its temporaries.
            h = Grad.isEnabled() ? b.forward(in, selfBias, encoderOutput, crossBias)
                    : Arena.stage("lm-layer", () -> b.forward(in, selfBias, encoderOutput, crossBias));
        }
        return dropout.forward(finalLayerNorm.forward(h));
    }

    /**
     * The decoder's KV cache: each block's self-attention keys/values so far, and its cross-attention keys/values of
     * the encoder output, computed once per encoder row. Rows can be widened and reordered (beam search); the
     * cross-attention side is re-gathered only when a row's encoder row changes.
     */
    public static final class DecoderCache {
        private final List<KeyValueCache> self;
        private final List<KeyValue> encoded;         // per encoder row
        private final INDArray encodedMask;
        private List<KeyValue> cross;                 // per current row
        private INDArray encoderMask;
        private long[] origin;                        // current row → encoder row

        DecoderCache(List<KeyValue> encoded, INDArray encoderMask, int layers) {
            this.self = Stream.generate(KeyValueCache::new).limit(layers).toList();
            this.encoded = encoded;
            this.encodedMask = encoderMask;
            this.cross = encoded;
            this.encoderMask = encoderMask;
            this.origin = LongStream.range(0, encoderMask.size(0)).toArray();
        }

        /** Frees the self-attention caches. */
        public void close() {
            self.forEach(KeyValueCache::close);
        }

        /** Keeps the rows {@code rows} in that order (repeats allowed). */
        public void select(long[] rows) {
            self.forEach(cache -> cache.select(rows));
            long[] next = Arrays.stream(rows).map(r -> origin[(int) r]).toArray();
            if (!Arrays.equals(next, origin)) {
                cross = encoded.stream().map(kv -> kv.select(next)).toList();
                encoderMask = Nd4j.pullRows(encodedMask, 1, Arrays.stream(next).mapToInt(r -> (int) r).toArray());
                origin = next;
            }
        }
    }

    /** A cache for decoding against {@code encoderOutput} [B, S, D] with padding {@code encoderMask} [B, S]. */
    public DecoderCache startDecoding(Tensor encoderOutput, INDArray encoderMask) {
        List<KeyValue> cross = new ArrayList<>();
        for (Block b : block.asList()) {
            cross.add(b.crossAttention.encDecAttention.keyValue(encoderOutput));
        }
        return new DecoderCache(cross, encoderMask.castTo(DataType.INT64), block.size());
    }

    /**
     * One decoder step with the cache: the token at {@code position} (embeddings [B, 1, D]) attends to the cached
     * ones and to the encoder output; its keys/values join the cache.
     *
     * @return [B, 1, D] after the final LayerNorm
     */
    public Tensor decodeStep(Tensor embeds, int position, DecoderCache cache) {
        Tensor selfBias = block.get(0).selfAttention.selfAttention.positionBias(position, 1, position + 1);
        Tensor crossBias = MaskStrategy.additive(padding(cache.encoderMask, 1), embeds.dataType());
        Tensor h = embeds;
        for (int i = 0; i < block.size(); i++) {
            Block b = block.get(i);
            T5Attention attention = b.selfAttention.selfAttention;
            Tensor normed = b.selfAttention.layerNorm.forward(h);
            KeyValue all = cache.self.get(i).append(attention.keyValue(normed));
            h = h.add(attention.attend(normed, all, selfBias));
            h = h.add(b.crossAttention.encDecAttention.attend(b.crossAttention.layerNorm.forward(h),
                    cache.cross.get(i), crossBias));
            h = b.feedForward.forward(h);
        }
        return finalLayerNorm.forward(h);
    }

    /** Every one of {@code rows} rows sees the real columns: [B, rows, S]. */
    private static INDArray padding(INDArray mask, int rows) {
        INDArray m = mask.castTo(DataType.FLOAT);
        return m.reshape(m.size(0), 1, m.size(1)).repeat(1, rows);
    }

    /** Row t sees the real columns ≤ t: [B, T, T]. */
    private static INDArray causal(INDArray mask) {
        int t = (int) mask.size(1);
        INDArray lower = Nd4j.ones(DataType.FLOAT, t, t);
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                lower.putScalar(i, j, 0f);
            }
        }
        return padding(mask, t).muli(lower.reshape(1, t, t).broadcast(mask.size(0), t, t));
    }
}
