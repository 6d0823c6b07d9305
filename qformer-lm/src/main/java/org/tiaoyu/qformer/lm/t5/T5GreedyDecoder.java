package org.tiaoyu.qformer.lm.t5;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * Greedy decoding with T5 as HF's {@code generate(num_beams=1, do_sample=False)}: the encoder runs once, the decoder
 * one token per step from {@code decoder_start_token_id} with its KV cache (self-attention keys/values so far, the
 * encoder output's cross-attention keys/values once); finished rows get pad; the sequences start with the start
 * token and exclude the prompt.
 */
public final class T5GreedyDecoder {

    /** HF's {@code sequences} [B, 1 + steps] and each step's logits [B, V]. */
    public record Result(long[][] sequences, List<INDArray> stepLogits) {}

    private final T5ForConditionalGeneration lm;

    public T5GreedyDecoder(T5ForConditionalGeneration lm) {
        this.lm = lm;
    }

    /**
     * @param inputsEmbeds  [B, S, D] the encoder input (image features in place)
     * @param attentionMask [B, S]
     */
    public Result generate(Tensor inputsEmbeds, INDArray attentionMask, int maxNewTokens) {
        int b = (int) inputsEmbeds.size(0);
        long start = lm.config.decoderStartTokenId();
        long eos = lm.config.eosTokenId();
        long pad = lm.config.padTokenId();
        List<long[]> tokens = new ArrayList<>();
        List<INDArray> stepLogits = new ArrayList<>();
        long[] current = new long[b];
        Arrays.fill(current, start);
        tokens.add(current.clone());
        boolean[] finished = new boolean[b];
        try (var noGrad = Grad.off()) {
            Tensor encoded = lm.encode(inputsEmbeds, attentionMask);
            T5Stack.DecoderCache cache = lm.decoder.startDecoding(encoded);
            for (int step = 0; step < maxNewTokens; step++) {
                Tensor h = lm.decoder.decodeStep(lm.embed(Nd4j.createFromArray(current).reshape(b, 1)), step, cache,
                        attentionMask);
                INDArray logits = lm.head(h).data().reshape(b, -1);
                stepLogits.add(logits.dup());
                boolean allDone = true;
                for (int i = 0; i < b; i++) {
                    current[i] = finished[i] ? pad : Nd4j.argMax(logits.getRow(i)).getLong(0);
                    finished[i] |= current[i] == eos;
                    allDone &= finished[i];
                }
                tokens.add(current.clone());
                if (allDone) {
                    break;
                }
            }
        }
        long[][] sequences = new long[b][tokens.size()];
        for (int s = 0; s < tokens.size(); s++) {
            for (int i = 0; i < b; i++) {
                sequences[i][s] = tokens.get(s)[i];
            }
        }
        return new Result(sequences, stepLogits);
    }
}
