package org.tiaoyu.qformer.core.nn;

import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * An attention layer's keys and values, [B, heads, S, headSize] each: the image features' (computed once per image)
 * or a decoder's KV cache.
 */
public record KeyValue(Tensor key, Tensor value) {

    /** These keys/values followed by {@code next}'s along the sequence axis: the cache after new tokens. */
    public KeyValue append(KeyValue next) {
        return new KeyValue(Ops.concat(2, key, next.key), Ops.concat(2, value, next.value));
    }

    /** The batch rows {@code rows}, in that order, repeats allowed (beam search reorders its cache with this). */
    public KeyValue select(long[] rows) {
        return new KeyValue(Ops.indexSelect(key, rows), Ops.indexSelect(value, rows));
    }
}
