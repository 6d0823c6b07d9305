package org.tiaoyu.qformer.lm.t5;

import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Ops;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.T5Config;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.Embedding;
import org.tiaoyu.qformer.core.nn.Linear;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.StateDict;

/**
 * Mirrors HF {@code T5ForConditionalGeneration} ({@code shared}, {@code encoder}, {@code decoder}, {@code lm_head}):
 * Flan-T5's gated-GELU or T5 v1.0's ReLU feed-forward, untied head when the checkpoint has one, and the
 * {@code d_model^-1/2} output rescale only when the config says so. In a BLIP-2 directory its tensors sit under
 * {@code language_model.}.
 */
public final class T5ForConditionalGeneration extends Module {

    public final T5Config config;
    public final Embedding shared;
    public final T5Stack encoder;
    public final T5Stack decoder;
    public final Linear lmHead; // null when tied to {@code shared}

    public T5ForConditionalGeneration(T5Config config, DataType type) {
        this.config = config;
        this.shared = child("shared", new Embedding(config.vocabSize(), config.dModel(), type));
        this.encoder = child("encoder", new T5Stack(config, false, type));
        this.decoder = child("decoder", new T5Stack(config, true, type));
        this.lmHead = config.tieWordEmbeddings() ? null
                : child("lm_head", new Linear(config.dModel(), config.vocabSize(), false, type));
    }

    /** The frozen language model of a BLIP-2 T5 directory (float32). */
    public static T5ForConditionalGeneration load(Path modelDir) {
        Blip2Config config = Blip2Config.read(modelDir);
        if (!(config.text() instanceof T5Config t5)) {
            throw new BadInputException(modelDir + ": the language model is not T5");
        }
        T5ForConditionalGeneration lm = new T5ForConditionalGeneration(t5, DataType.FLOAT);
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            StateDict.load(lm, checkpoint, "language_model.", true);
        }
        lm.freeze();
        return lm;
    }

    public Tensor embed(INDArray ids) {
        return shared.forward(ids);
    }

    /** Encoder output [B, S, D] of embeddings [B, S, D] with padding mask [B, S]. */
    public Tensor encode(Tensor inputsEmbeds, INDArray attentionMask) {
        return encoder.forward(inputsEmbeds, attentionMask, null, null);
    }

    /** Vocabulary scores [B, T, V] of decoder outputs [B, T, D] (rescaled first when the config says so). */
    public Tensor head(Tensor decoderOutput) {
        Tensor h = config.scaleDecoderOutputs() ? decoderOutput.mul(Math.pow(config.dModel(), -0.5)) : decoderOutput;
        return lmHead == null ? Ops.linear(h, shared.weight, null) : lmHead.forward(h);
    }

    /** A decoding session over encoder inputs [B, S, D] (image features in place) with padding mask [B, S]. */
    public T5DecodingSession startDecoding(Tensor inputsEmbeds, INDArray attentionMask) {
        return new T5DecodingSession(this, inputsEmbeds, attentionMask);
    }

    /** Vocabulary scores [B, T, V] of the decoder for {@code decoderInputIds} [B, T]. */
    public Tensor logits(INDArray decoderInputIds, Tensor encoderOutput, INDArray encoderMask) {
        INDArray decoderMask = Nd4j.ones(DataType.INT64, decoderInputIds.shape());
        return head(decoder.forward(embed(decoderInputIds), decoderMask, encoderOutput, encoderMask));
    }
}
