package org.tiaoyu.qformer.vision;

import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.ModelConfig;
import org.tiaoyu.qformer.core.config.VisionConfig;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.LayerNorm;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.vision.VisionAttention.QkvBias;

/**
 * Mirrors HF {@code Blip2VisionModel} (checkpoint prefix {@code vision_model.} in BLIP-2 directories): the EVA ViT
 * of BLIP-2. {@code embeddings} (no LayerNorm after them), {@code encoder.layers.i} (pre-LN, exact GELU, fused qkv),
 * {@code post_layernorm}.
 *
 * <pre>{@code
 * Blip2VisionTower vit = Blip2VisionTower.load(Path.of("blip2-opt-2.7b"));   // frozen
 * Tensor features = vit.encode(pixelValues).lastHiddenState();               // [B, N+1, D]
 * }</pre>
 */
public final class Blip2VisionTower extends Module implements VisionTower {

    public final VisionConfig config;
    public final VisionEmbeddings embeddings;
    public final VisionEncoder<VisionAttention> encoder;
    public final LayerNorm postLayernorm;

    /** A zero-initialised tower whose qkv bias has the layout {@code bias} (NONE unless the config has one). */
    public Blip2VisionTower(VisionConfig config, QkvBias bias, DataType type) {
        if (config.qkvBias() == (bias == QkvBias.NONE)) {
            throw new IllegalArgumentException("qkv_bias is " + config.qkvBias() + " but the bias layout is " + bias);
        }
        this.config = config;
        this.embeddings = child("embeddings", new VisionEmbeddings(config, type));
        this.encoder = child("encoder", new VisionEncoder<>(config.numHiddenLayers(), i -> new VisionEncoderLayer<>(
                new VisionAttention(config.hiddenSize(), config.numAttentionHeads(), bias, type),
                config.hiddenSize(), config.intermediateSize(), config.layerNormEps(), config.hiddenAct(), type)));
        this.postLayernorm = child("post_layernorm",
                new LayerNorm(config.hiddenSize(), config.layerNormEps(), type));
    }

    /**
     * Loads the tower, frozen, from a BLIP-2 directory ({@code Blip2ForConditionalGeneration},
     * {@code Blip2ForImageTextRetrieval}: tensors under {@code vision_model.}) or a {@code Blip2VisionModel} one.
     * The qkv bias layout (fused or {@code q_bias}/{@code v_bias}) is the checkpoint's.
     *
     * @throws BadInputException when the config is not a BLIP-2 one or the checkpoint does not match it
     */
    public static Blip2VisionTower load(Path modelDir) {
        ModelConfig read = ModelConfig.read(modelDir);
        VisionConfig config;
        if (read instanceof Blip2Config blip2) {
            config = blip2.vision();
        } else if (read instanceof VisionConfig vision) {
            config = vision;
        } else {
            throw new BadInputException(modelDir + ": not a BLIP-2 or BLIP-2 vision model (model_type "
                    + "blip-2 or blip_2_vision_model)");
        }
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            String splitBias = TowerCheckpoint.prefix(checkpoint) + "encoder.layers.0.self_attn.q_bias";
            QkvBias bias = !config.qkvBias() ? QkvBias.NONE
                    : checkpoint.contains(splitBias) ? QkvBias.SPLIT : QkvBias.FUSED;
            Blip2VisionTower tower = new Blip2VisionTower(config, bias, DataType.FLOAT);
            TowerCheckpoint.load(tower, checkpoint, modelDir, config.numHiddenLayers());
            return tower;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code last_hidden_state = post_layernorm(encoder output)}; the pooler output is {@code post_layernorm}
     * applied once more to its class token, as HF does.
     */
    @Override
    public VisionOutput forward(Tensor pixelValues) {
        List<Tensor> hiddenStates = encoder.forward(embeddings.forward(pixelValues)); // [B, N+1, D] each
        Tensor last = postLayernorm.forward(hiddenStates.get(hiddenStates.size() - 1));
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
