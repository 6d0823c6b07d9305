package org.tiaoyu.qformer.core.qformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;

/**
 * Starts a Q-Former from BERT weights as LAVIS's {@code Blip2Base.init_Qformer} does: every BERT tensor goes to the
 * Q-Former parameter of the same role, the query feed-forward ({@code intermediate_query}, {@code output_query})
 * gets a copy of the text feed-forward ({@code "_query" in name: copy from the name without it}), and what BERT
 * lacks — cross-attention, query tokens, projections, ITM head, temperature, and vocabulary rows beyond BERT's (the
 * [DEC] token) — keeps its initialisation. Reads HF's BERT layout ({@code bert.embeddings.*}, {@code bert.encoder.*},
 * {@code cls.predictions.*}), with LayerNorm as {@code weight/bias} or the older {@code gamma/beta}.
 */
public final class BertInitializer {

    private BertInitializer() {}

    /** Copies BERT's tensors into {@code model}; returns the names of the parameters that were set. */
    public static List<String> load(ImageTextQFormer model, Checkpoint bert) {
        List<String> loaded = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            String source = bertName(e.getKey());
            if (source == null) {
                continue;
            }
            String found = resolve(bert, source);
            if (found == null) {
                throw new BadInputException(bert.files().get(0) + ": not a BERT checkpoint: no tensor '" + source
                        + "' for " + e.getKey());
            }
            copy(bert, found, e.getKey(), e.getValue().data());
            loaded.add(e.getKey());
        }
        return loaded;
    }

    /** The BERT tensor a Q-Former parameter starts from, or null when it has none. */
    static String bertName(String name) {
        if (name.startsWith("embeddings.")) {
            return "bert." + name;
        }
        if (name.startsWith("qformer.layernorm.")) {
            return "bert.embeddings.LayerNorm." + name.substring("qformer.layernorm.".length());
        }
        if (name.startsWith("qformer.encoder.") && !name.contains(".crossattention.")) {
            return "bert." + name.substring("qformer.".length())
                    .replace(".attention.attention.", ".attention.self.")
                    .replace("_query.", ".");
        }
        if (name.startsWith("cls.")) {
            return name;
        }
        return null;
    }

    /** {@code name}, or its {@code gamma}/{@code beta} spelling for LayerNorm; null when neither is there. */
    private static String resolve(Checkpoint bert, String name) {
        if (bert.contains(name)) {
            return name;
        }
        String old = name.endsWith("LayerNorm.weight") ? name.replaceFirst("weight$", "gamma")
                : name.endsWith("LayerNorm.bias") ? name.replaceFirst("bias$", "beta") : null;
        return old != null && bert.contains(old) ? old : null;
    }

    /**
     * Copies the tensor; along the first axis (vocabulary, positions) BERT may have more or fewer rows than the
     * Q-Former, and only the common rows are copied. Any other difference is an error.
     */
    private static void copy(Checkpoint bert, String source, String target, INDArray destination) {
        long[] from = bert.info(source).shape();
        long[] to = destination.shape();
        boolean sameTail = from.length == to.length
                && Arrays.equals(Arrays.copyOfRange(from, 1, from.length), Arrays.copyOfRange(to, 1, to.length));
        if (!sameTail) {
            throw new BadInputException(bert.files().get(0) + ": tensor " + source + " has shape "
                    + Arrays.toString(from) + " but " + target + " is " + Arrays.toString(to));
        }
        if (from[0] == to[0]) {
            bert.loadInto(source, destination);
            return;
        }
        INDArray values = bert.load(source, destination.dataType());
        long rows = Math.min(from[0], to[0]);
        destination.get(NDArrayIndex.interval(0, rows)).assign(values.get(NDArrayIndex.interval(0, rows)));
    }
}
