package org.tiaoyu.qformer.lm.opt;

import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.StateDict;

/**
 * Mirrors HF {@code OPTForCausalLM} ({@code model.decoder.*}; the LM head is tied to {@code embed_tokens}, as every
 * OPT checkpoint has it). In a BLIP-2 directory its tensors sit under {@code language_model.}.
 */
public final class OptForCausalLm extends Module {

    /** HF's {@code OPTModel}: the decoder. */
    public static final class OptModel extends Module {
        public final OptDecoder decoder;

        OptModel(OptConfig c, DataType type) {
            this.decoder = child("decoder", new OptDecoder(c, type));
        }
    }

    public final OptConfig config;
    public final OptModel model;

    public OptForCausalLm(OptConfig config, DataType type) {
        this.config = config;
        this.model = child("model", new OptModel(config, type));
    }

    /** The frozen language model of a BLIP-2 OPT directory (float32). */
    public static OptForCausalLm load(Path modelDir) {
        Blip2Config config = Blip2Config.read(modelDir);
        if (!(config.text() instanceof OptConfig opt)) {
            throw new BadInputException(modelDir + ": the language model is not OPT");
        }
        OptForCausalLm lm = new OptForCausalLm(opt, DataType.FLOAT);
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            StateDict.load(lm, checkpoint, "language_model.", true);
        }
        lm.freeze();
        return lm;
    }

    /** The embeddings of token ids [B, T] → [B, T, E]. */
    public Tensor embed(INDArray inputIds) {
        return model.decoder.embedTokens.forward(inputIds);
    }

    /** The decoder's outputs for embeddings [B, T, E] and mask [B, T]. */
    public OptDecoder.Output forward(Tensor inputsEmbeds, INDArray attentionMask) {
        return model.decoder.forward(inputsEmbeds, attentionMask);
    }

    /** A decoding session over prompts: ids [B, T], their embeddings [B, T, E] (image features in place), mask. */
    public OptDecodingSession startDecoding(INDArray promptIds, Tensor promptEmbeds, INDArray promptMask) {
        return new OptDecodingSession(this, promptIds, promptEmbeds, promptMask);
    }

    /** Vocabulary scores [B, T, V] of decoder outputs, through the tied head. */
    public Tensor logits(Tensor hidden) {
        return Ops.linear(hidden, model.decoder.embedTokens.weight, null);
    }
}
