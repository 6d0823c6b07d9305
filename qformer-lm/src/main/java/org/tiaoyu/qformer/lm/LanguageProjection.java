package org.tiaoyu.qformer.lm;

import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.StateDict;

/**
 * HF's {@code language_projection}: one linear layer from the Q-Former's width to the language model's input
 * embedding width, which turns the query outputs into the soft prompt.
 */
public final class LanguageProjection {

    private LanguageProjection() {}

    public static Linear create(Blip2Config config, DataType type) {
        return new Linear(config.qformer().hiddenSize(), config.text().inputEmbeddingSize(), true, type);
    }

    /** The {@code language_projection.*} tensors of a BLIP-2 directory (float32), all of them. */
    public static Linear load(Path modelDir) {
        Linear projection = create(Blip2Config.read(modelDir), DataType.FLOAT);
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            StateDict.load(projection, checkpoint, "language_projection.", true);
        }
        return projection;
    }
}
