package org.tiaoyu.qformer.lm.opt;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.KeyValueCache;
import org.tiaoyu.qformer.lm.generate.DecodingSession;

/**
 * OPT primed with prompts for {@link org.tiaoyu.qformer.lm.generate.Generator}: the prompt runs once, then each new
 * token attends to every layer's cached keys/values; the attention mask grows with the sequence (left padding
 * stays masked, and positions keep counting real tokens only).
 */
public final class OptDecodingSession implements DecodingSession {

    private final OptForCausalLm lm;
    private final long[][] prefix;
    private Tensor promptEmbeds;
    private final INDArray promptMask;
    private long[][] mask;                        // [rows][tokens so far]: a Java array, so no step keeps ND4J memory
    private final List<KeyValueCache> caches;
    private final int promptElementBytes;

    /**
     * @param promptIds    [B, T] the prompt's ids (the sequences start with them; image-token ids included)
     * @param promptEmbeds [B, T, E] their embeddings, image features in place
     * @param promptMask   [B, T] 1 for real tokens (left padding allowed)
     */
    OptDecodingSession(OptForCausalLm lm, INDArray promptIds, Tensor promptEmbeds, INDArray promptMask) {
        if (promptIds.size(0) != promptEmbeds.size(0) || promptIds.size(1) != promptEmbeds.size(1)
                || !Arrays.equals(promptIds.shape(), promptMask.shape())) {
            throw new IllegalArgumentException("prompt ids " + Arrays.toString(promptIds.shape())
                    + ", embeddings " + Arrays.toString(promptEmbeds.shape()) + " and mask "
                    + Arrays.toString(promptMask.shape()) + " do not agree");
        }
        this.lm = lm;
        this.prefix = promptIds.castTo(DataType.INT64).toLongMatrix();
        this.promptEmbeds = promptEmbeds;
        this.promptMask = promptMask.castTo(DataType.INT64);
        this.mask = this.promptMask.toLongMatrix();
        this.caches = Stream.generate(KeyValueCache::new).limit(lm.model.decoder.layers.size()).toList();
        this.promptElementBytes = promptEmbeds.dataType().width();
    }

    @Override
    public long[][] prefix() {
        return prefix;
    }

    @Override
    public INDArray prefill() {
        OptDecoder.Output out = lm.model.decoder.forward(promptEmbeds, promptMask, caches);
        promptEmbeds = null;
        return lastLogits(out);
    }

    @Override
    public INDArray step(long[] tokens) {
        for (int i = 0; i < mask.length; i++) {
            mask[i] = Arrays.copyOf(mask[i], mask[i].length + 1);
            mask[i][mask[i].length - 1] = 1;
        }
        Tensor embeds = lm.embed(Nd4j.createFromArray(tokens).reshape(tokens.length, 1));
        return lastLogits(lm.model.decoder.forward(embeds, Nd4j.createFromArray(mask), caches));
    }

    @Override
    public void select(long[] rows) {
        caches.forEach(cache -> cache.select(rows));
        long[][] before = mask;
        mask = Arrays.stream(rows).mapToObj(r -> before[(int) r].clone()).toArray(long[][]::new);
    }

    /** Frees the KV cache now rather than when Java's garbage collector gets to it. */
    @Override
    public void close() {
        caches.forEach(KeyValueCache::close);
    }

    @Override
    public long eosTokenId() {
        return lm.config.eosTokenId();
    }

    @Override
    public long padTokenId() {
        return lm.config.padTokenId();
    }

    /** Positions count a row's real tokens ({@link OptDecoder#positions}); the table has max_position_embeddings. */
    @Override
    public void requireRoom(int newTokens) {
        long longest = 0;
        for (long[] row : promptMask.toLongMatrix()) {
            longest = Math.max(longest, Arrays.stream(row).sum());
        }
        int limit = lm.config.maxPositionEmbeddings();
        if (longest > limit) {
            throw new BadInputException("the prompt has " + longest + " tokens, more than the " + limit
                    + " positions the model has (max_position_embeddings)");
        }
        if (longest + newTokens > limit) {
            throw new BadInputException("the prompt has " + longest + " tokens and generation may add " + newTokens
                    + ", " + (longest + newTokens) + " in all, more than the " + limit + " positions the model has "
                    + "(max_position_embeddings); at most " + (limit - longest) + " new tokens fit");
        }
    }

    @Override
    public int vocabSize() {
        return lm.config.vocabSize();
    }

    /** Keys and values of every layer, hidden_size wide each. */
    @Override
    public long cacheBytes(long rows, int length) {
        long perToken = 2L * lm.config.numHiddenLayers() * lm.config.hiddenSize() * promptElementBytes;
        return rows * length * perToken;
    }

    private INDArray lastLogits(OptDecoder.Output out) {
        Tensor h = out.lastHiddenState();
        long t = h.size(1);
        return lm.logits(h.slice(1, t - 1, t)).data().reshape(h.size(0), -1);
    }
}
