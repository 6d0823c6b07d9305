package org.tiaoyu.qformer.core.config;

import static org.tiaoyu.qformer.core.config.Checks.notNull;
import static org.tiaoyu.qformer.core.config.Checks.positive;
import static org.tiaoyu.qformer.core.config.Checks.probability;
import static org.tiaoyu.qformer.core.config.Checks.tokenId;

/**
 * An encoder-decoder T5 language model (Flan-T5), mirroring HF's {@code T5Config} ({@code model_type}
 * {@code t5}).
 *
 * @param vocabSize                    {@code vocab_size}
 * @param dModel                       {@code d_model}, the hidden width
 * @param dKv                          {@code d_kv}, width of one attention head (need not be
 *                                     {@code d_model / num_heads})
 * @param dFf                          {@code d_ff}
 * @param numLayers                    {@code num_layers} of the encoder
 * @param numDecoderLayers             {@code num_decoder_layers} (defaults to {@code num_layers})
 * @param numHeads                     {@code num_heads}
 * @param relativeAttentionNumBuckets  {@code relative_attention_num_buckets}
 * @param relativeAttentionMaxDistance {@code relative_attention_max_distance}
 * @param dropoutRate                  {@code dropout_rate}
 * @param layerNormEpsilon             {@code layer_norm_epsilon} of the RMS norms
 * @param feedForwardProj              {@code feed_forward_proj}, parsed
 * @param tieWordEmbeddings            {@code tie_word_embeddings} as written; whether {@code lm_head} is its own
 *                                     matrix is decided by the checkpoint (HF 5.x forces the flag to true)
 * @param scaleDecoderOutputs          whether the decoder output is multiplied by {@code d_model^-0.5} before
 *                                     {@code lm_head}: {@code scale_decoder_outputs} when the config has it
 *                                     (transformers 5.17+), else {@code tie_word_embeddings != false}, as
 *                                     {@code T5Config.__post_init__} derives it
 * @param padTokenId                   {@code pad_token_id}
 * @param eosTokenId                   {@code eos_token_id}
 * @param decoderStartTokenId          {@code decoder_start_token_id} (defaults to {@code pad_token_id})
 */
public record T5Config(
        int vocabSize,
        int dModel,
        int dKv,
        int dFf,
        int numLayers,
        int numDecoderLayers,
        int numHeads,
        int relativeAttentionNumBuckets,
        int relativeAttentionMaxDistance,
        double dropoutRate,
        double layerNormEpsilon,
        FeedForwardProj feedForwardProj,
        boolean tieWordEmbeddings,
        boolean scaleDecoderOutputs,
        int padTokenId,
        int eosTokenId,
        int decoderStartTokenId) implements TextConfig {

    public T5Config {
        positive("vocab_size", vocabSize);
        positive("d_model", dModel);
        positive("d_kv", dKv);
        positive("d_ff", dFf);
        positive("num_layers", numLayers);
        positive("num_decoder_layers", numDecoderLayers);
        positive("num_heads", numHeads);
        positive("relative_attention_num_buckets", relativeAttentionNumBuckets);
        positive("relative_attention_max_distance", relativeAttentionMaxDistance);
        probability("dropout_rate", dropoutRate);
        positive("layer_norm_epsilon", layerNormEpsilon);
        notNull("feed_forward_proj", feedForwardProj);
        tokenId("pad_token_id", padTokenId, vocabSize);
        tokenId("eos_token_id", eosTokenId, vocabSize);
        tokenId("decoder_start_token_id", decoderStartTokenId, vocabSize);
    }

    /**
     * Flan-T5-XL as {@code Salesforce/blip2-flan-t5-xl} ships it: d_model 2048, 24+24 layers, 32 heads of 64,
     * d_ff 5120, gated GELU, untied and unscaled {@code lm_head}.
     */
    public static T5Config flanT5Xl() {
        return new T5Config(32128, 2048, 64, 5120, 24, 24, 32, 32, 128, 0.1, 1e-6,
                FeedForwardProj.parse("gated-gelu"), false, false, 0, 1, 0);
    }

    /**
     * {@code google/flan-t5-small} as the hub ships it: d_model 512, 8+8 layers, 6 heads of 64, d_ff 1024, gated
     * GELU, untied and unscaled {@code lm_head}, vocabulary 32128.
     */
    public static T5Config flanT5Small() {
        return new T5Config(32128, 512, 64, 1024, 8, 8, 6, 32, 128, 0.1, 1e-6,
                FeedForwardProj.parse("gated-gelu"), false, false, 0, 1, 0);
    }

    /** Whether the feed-forward block is gated ({@code wi_0}, {@code wi_1}); HF {@code is_gated_act}. */
    public boolean isGatedAct() {
        return feedForwardProj.isGatedAct();
    }

    /** The activation of the feed-forward block; HF {@code dense_act_fn}. */
    public Activation denseActFn() {
        return feedForwardProj.denseActFn();
    }

    /** Width of all attention heads together, {@code numHeads * dKv}. */
    public int innerDim() {
        return numHeads * dKv;
    }

    /** {@inheritDoc} For T5, {@code d_model}. */
    @Override
    public int inputEmbeddingSize() {
        return dModel;
    }

    /**
     * HF's {@code feed_forward_proj}, {@code "ACT"} or {@code "gated-ACT"}, split as {@code T5Config} does it.
     *
     * @param isGatedAct whether the block is gated
     * @param denseActFn its activation; {@code "gated-gelu"} means the tanh approximation
     *                   ({@link Activation#GELU_NEW}), whatever {@code dense_act_fn} the file also holds
     */
    public record FeedForwardProj(boolean isGatedAct, Activation denseActFn) {

        public FeedForwardProj {
            notNull("dense_act_fn", denseActFn);
        }

        /**
         * Parses {@code feed_forward_proj}.
         *
         * @throws IllegalArgumentException when it is not {@code ACT} or {@code gated-ACT} with a known ACT
         */
        public static FeedForwardProj parse(String feedForwardProj) {
            String[] parts = feedForwardProj.split("-", -1);
            boolean gated = parts.length == 2 && parts[0].equals("gated");
            if (parts.length > 2 || (parts.length == 2 && !gated)) {
                throw new IllegalArgumentException("feed_forward_proj \"" + feedForwardProj
                        + "\" is not of the form ACT or gated-ACT (e.g. relu, gated-gelu)");
            }
            // For backwards compatibility HF maps gated-gelu to the tanh approximation, gelu_new.
            Activation act = feedForwardProj.equals("gated-gelu")
                    ? Activation.GELU_NEW
                    : Activation.fromHfName(parts[parts.length - 1]);
            return new FeedForwardProj(gated, act);
        }
    }
}
