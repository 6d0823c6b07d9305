package org.tiaoyu.qformer.core.qformer;

import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.StateDict;

/**
 * The learnable queries and the Q-Former as {@code Blip2ForConditionalGeneration} holds them ({@code query_tokens},
 * {@code qformer.*}): image features in, query outputs out — what stage 2 projects into the language model.
 */
public final class QueryTransformer extends Module {

    public final Tensor queryTokens;     // [1, Q, D]
    public final QFormerModel qformer;

    public QueryTransformer(Blip2Config config, DataType type) {
        this.queryTokens = parameter("query_tokens",
                Nd4j.zeros(type, 1, config.numQueryTokens(), config.qformer().hiddenSize()));
        this.qformer = child("qformer", new QFormerModel(config.qformer(), type));
    }

    /**
     * The {@code query_tokens} and {@code qformer.*} tensors of a BLIP-2 directory (float32); every one must be
     * there with its shape. Other tensors (vision tower, language model) are left for their own modules.
     */
    public static QueryTransformer load(Path modelDir) {
        QueryTransformer model = new QueryTransformer(Blip2Config.read(modelDir), DataType.FLOAT);
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            StateDict.load(model.qformer, checkpoint, "qformer.", true);
            checkpoint.loadInto("query_tokens", model.queryTokens.data());
        }
        return model;
    }

    /** The queries read the image features [B, N, Dv]: every hidden state, the last [B, Q, D]. */
    public QFormerModel.Output forward(Tensor imageEmbeds) {
        long batch = imageEmbeds.size(0);
        Tensor queries = queryTokens.add(Tensor.constant(Nd4j.zeros(queryTokens.dataType(), batch, 1, 1)));
        return qformer.forward(queries, (int) queryTokens.size(1), null, imageEmbeds, null);
    }
}
