package org.tiaoyu.qformer.lm.t5;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.lm.generate.DecodingSession;

/**
 * T5 primed with encoder inputs for {@link org.tiaoyu.qformer.lm.generate.Generator}: the encoder runs once and
 * each decoder block's cross-attention keys/values of its output are computed once; the decoder starts from
 * {@code decoder_start_token_id} and caches its self-attention keys/values. The sequences exclude the prompt.
 */
public final class T5DecodingSession implements DecodingSession {

    private final T5ForConditionalGeneration lm;
    private final long[][] prefix;
    private Tensor inputsEmbeds;
    private final INDArray encoderMask;
    private T5Stack.DecoderCache cache;
    private int position;
    private final int elementBytes;

    /**
     * @param inputsEmbeds  [B, S, D] the encoder input, image features in place
     * @param attentionMask [B, S] its padding mask
     */
    T5DecodingSession(T5ForConditionalGeneration lm, Tensor inputsEmbeds, INDArray attentionMask) {
        if (inputsEmbeds.size(0) != attentionMask.size(0) || inputsEmbeds.size(1) != attentionMask.size(1)) {
            throw new IllegalArgumentException("encoder inputs " + Arrays.toString(inputsEmbeds.shape())
                    + " and mask " + Arrays.toString(attentionMask.shape()) + " do not agree");
        }
        this.lm = lm;
        this.inputsEmbeds = inputsEmbeds;
        this.elementBytes = inputsEmbeds.dataType().width();
        this.encoderMask = attentionMask;
        this.prefix = new long[(int) inputsEmbeds.size(0)][];
        Arrays.setAll(prefix, i -> new long[] {lm.config.decoderStartTokenId()});
    }

    @Override
    public long[][] prefix() {
        return prefix;
    }

    @Override
    public INDArray prefill() {
        cache = lm.decoder.startDecoding(lm.encode(inputsEmbeds, encoderMask), encoderMask);
        inputsEmbeds = null;
        position = -1;
        long[] start = new long[prefix.length];
        Arrays.fill(start, lm.config.decoderStartTokenId());
        return step(start);
    }

    @Override
    public INDArray step(long[] tokens) {
        position++;
        Tensor embeds = lm.embed(Nd4j.createFromArray(tokens).reshape(tokens.length, 1));
        Tensor h = lm.decoder.decodeStep(embeds, position, cache);
        return lm.head(h).data().reshape(tokens.length, -1);
    }

    @Override
    public void select(long[] rows) {
        cache.select(rows);
    }

    /** Frees the decoder's self-attention cache now rather than when Java's garbage collector gets to it. */
    @Override
    public void close() {
        if (cache != null) {
            cache.close();
        }
    }

    @Override
    public long eosTokenId() {
        return lm.config.eosTokenId();
    }

    @Override
    public long padTokenId() {
        return lm.config.padTokenId();
    }

    /** T5's positions are relative buckets: any length fits. */
    @Override
    public void requireRoom(int newTokens) {
    }

    @Override
    public int vocabSize() {
        return lm.config.vocabSize();
    }

    /** The decoder's self-attention keys and values per token, and its cross-attention ones per encoder position. */
    @Override
    public long cacheBytes(long rows, int length) {
        long inner = (long) lm.config.numHeads() * lm.config.dKv();
        long perPosition = 2L * lm.config.numDecoderLayers() * inner * elementBytes;
        return rows * (length + encoderMask.size(1)) * perPosition;
    }
}
