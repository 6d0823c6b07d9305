package org.tiaoyu.qformer.vision;

import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.ClipVisionConfig;
import org.tiaoyu.qformer.core.config.ModelConfig;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Module;

/**
 * Mirrors HF {@code CLIPVisionTransformer}, the body of {@code CLIPVisionModel}: {@code embeddings},
 * {@code pre_layrnorm} (sic), {@code encoder.layers.i} (pre-LN, separate q/k/v, activation from the config),
 * {@code post_layernorm}. As in HF, {@code last_hidden_state} is the encoder output before {@code post_layernorm},
 * and the pooler output is {@code post_layernorm} of its class token.
 *
 * <p>BLIP-2 models built on CLIP (LAVIS's ViT-L) read the penultimate layer: {@code dropLastLayer} builds the tower
 * without its last layer, so {@code last_hidden_state} is that layer's input.
 */
public final class ClipVisionTower extends Module implements VisionTower {

    public final ClipVisionConfig config;
    public final ClipVisionEmbeddings embeddings;
    public final LayerNorm preLayrnorm;
    public final VisionEncoder<ClipAttention> encoder;
    public final LayerNorm postLayernorm;

    /** A zero-initialised tower with all of the config's layers, or all but the last. */
    public ClipVisionTower(ClipVisionConfig config, boolean dropLastLayer, DataType type) {
        int layers = config.numHiddenLayers() - (dropLastLayer ? 1 : 0);
        if (layers < 1) {
            throw new IllegalArgumentException("cannot drop the only layer of a 1-layer tower");
        }
        this.config = config;
        this.embeddings = child("embeddings", new ClipVisionEmbeddings(config, type));
        this.preLayrnorm = child("pre_layrnorm", new LayerNorm(config.hiddenSize(), config.layerNormEps(), type));
        this.encoder = child("encoder", new VisionEncoder<>(layers, i -> new VisionEncoderLayer<>(
                new ClipAttention(config.hiddenSize(), config.numAttentionHeads(), type),
                config.hiddenSize(), config.intermediateSize(), config.layerNormEps(), config.hiddenAct(), type)));
        this.postLayernorm = child("post_layernorm",
                new LayerNorm(config.hiddenSize(), config.layerNormEps(), type));
    }

    /**
     * Loads the tower, frozen, from a {@code CLIPVisionModel} directory (tensors with or without the
     * {@code vision_model.} prefix).
     *
     * @param dropLastLayer leave out the last encoder layer (its tensors are then ignored)
     * @throws BadInputException when the config is not a CLIP vision one or the checkpoint does not match it
     */
    public static ClipVisionTower load(Path modelDir, boolean dropLastLayer) {
        if (!(ModelConfig.read(modelDir) instanceof ClipVisionConfig config)) {
            throw new BadInputException(modelDir + ": not a CLIP vision model (model_type clip_vision_model)");
        }
        ClipVisionTower tower = new ClipVisionTower(config, dropLastLayer, DataType.FLOAT);
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            TowerCheckpoint.load(tower, checkpoint, modelDir, tower.encoder.layers.size());
        }
        return tower;
    }

    @Override
    public VisionOutput forward(Tensor pixelValues) {
        Tensor h = preLayrnorm.forward(embeddings.forward(pixelValues));            // [B, N+1, D]
        List<Tensor> hiddenStates = encoder.forward(h);
        Tensor last = hiddenStates.get(hiddenStates.size() - 1);
        Tensor cls = last.slice(1, 0, 1).reshape(last.size(0), last.size(2));       // [B, D]
        return new VisionOutput(last, postLayernorm.forward(cls), hiddenStates);
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public int imageSize() {
        return config.imageSize();
    }
}
