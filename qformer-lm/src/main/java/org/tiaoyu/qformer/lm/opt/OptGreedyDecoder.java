package org.tiaoyu.qformer.lm.opt;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * Greedy decoding with OPT and a KV cache, as HF's {@code generate(num_beams=1, do_sample=False)}: the prompt is run
 * once, then one token per step attends to the cached keys/values; a row that has produced EOS gets pad from then
 * on, and decoding stops when every row has or after {@code maxNewTokens}.
 */
public final class OptGreedyDecoder {

    /** The new tokens [B, steps] (pad after a row's EOS) and the raw logits of each step, [B, V] each. */
    public record Result(long[][] newTokens, List<INDArray> stepLogits) {

        /** HF's {@code sequences} for a decoder-only model: the prompt ids followed by the new tokens. */
        public long[][] sequences(INDArray promptIds) {
            int b = newTokens.length;
            int prompt = (int) promptIds.size(1);
            long[][] out = new long[b][prompt + newTokens[0].length];
            for (int i = 0; i < b; i++) {
                long[] ids = promptIds.getRow(i).dup().toLongVector();
                System.arraycopy(ids, 0, out[i], 0, prompt);
                System.arraycopy(newTokens[i], 0, out[i], prompt, newTokens[i].length);
            }
            return out;
        }
    }

    private final OptForCausalLm lm;

    public OptGreedyDecoder(OptForCausalLm lm) {
        this.lm = lm;
    }

    /**
     * @param promptEmbeds [B, T, E] the prompt's embeddings (image features in place)
     * @param promptMask   [B, T] its attention mask (left padding allowed)
     */
    public Result generate(Tensor promptEmbeds, INDArray promptMask, int maxNewTokens, long eosId, long padId) {
        int b = (int) promptEmbeds.size(0);
        List<long[]> steps = new ArrayList<>();
        List<INDArray> stepLogits = new ArrayList<>();
        boolean[] finished = new boolean[b];
        try (var noGrad = Grad.off()) {
            INDArray mask = promptMask.castTo(DataType.INT64);
            OptDecoder.Output out = lm.forward(promptEmbeds, mask);
            for (int step = 0; step < maxNewTokens; step++) {
                Tensor last = out.lastHiddenState().slice(1, out.lastHiddenState().size(1) - 1,
                        out.lastHiddenState().size(1));
                INDArray logits = lm.logits(last).data().reshape(b, -1);
                stepLogits.add(logits.dup());
                long[] next = new long[b];
                boolean allDone = true;
                for (int i = 0; i < b; i++) {
                    next[i] = finished[i] ? padId : Nd4j.argMax(logits.getRow(i)).getLong(0);
                    finished[i] |= next[i] == eosId;
                    allDone &= finished[i];
                }
                steps.add(next);
                if (allDone || step == maxNewTokens - 1) {
                    break;
                }
                mask = Nd4j.concat(1, mask, Nd4j.ones(DataType.INT64, b, 1));
                Tensor embeds = lm.embed(Nd4j.createFromArray(next).reshape(b, 1));
                out = lm.model.decoder.forward(embeds, mask, out.cache());
            }
        }
        long[][] tokens = new long[b][steps.size()];
        for (int s = 0; s < steps.size(); s++) {
            for (int i = 0; i < b; i++) {
                tokens[i][s] = steps.get(s)[i];
            }
        }
        return new Result(tokens, stepLogits);
    }
}
