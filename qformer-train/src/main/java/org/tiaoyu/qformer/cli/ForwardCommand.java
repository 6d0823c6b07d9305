package org.tiaoyu.qformer.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.Blip2Config;
import org.tiaoyu.qformer.core.config.ModelConfig;
import org.tiaoyu.qformer.core.config.OptConfig;
import org.tiaoyu.qformer.core.config.T5Config;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.core.qformer.QFormerModel;
import org.tiaoyu.qformer.core.qformer.QueryTransformer;
import org.tiaoyu.qformer.lm.ImageTokens;
import org.tiaoyu.qformer.lm.LanguageProjection;
import org.tiaoyu.qformer.lm.opt.OptDecoder;
import org.tiaoyu.qformer.lm.opt.OptForCausalLm;
import org.tiaoyu.qformer.lm.t5.T5ForConditionalGeneration;
import org.tiaoyu.qformer.vision.VisionOutput;
import org.tiaoyu.qformer.vision.VisionTower;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code qformer forward} (DESIGN §5): every intermediate output of a model directory for given inputs. On a
 * vision-only directory ({@code CLIPVisionModel}, {@code Blip2VisionModel}) the {@code vision_*} tensors with HF's
 * meaning for that class; on a BLIP-2 directory also the Q-Former's hidden states and the language projection, and
 * the language model's inputs ({@code lm_inputs_embeds}) and logits (OPT also its hidden states; T5 takes
 * {@code decoder_input_ids}).
 */
@Command(name = "forward", description = "Write every intermediate output of a model for given pixel values.")
final class ForwardCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A model directory.")
    private Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN",
            description = "Safetensors with pixel_values [B,3,S,S]; for a BLIP-2 model input_ids and attention_mask "
                    + "(and decoder_input_ids for T5).")
    private Path inputs;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Safetensors file to write.")
    private Path out;

    @Override
    public Integer call() throws IOException {
        AtomicFile.requireWritable(out);
        ModelConfig config = ModelConfig.read(model);
        VisionTower vision = VisionTower.load(model);
        INDArray pixels;
        INDArray ids = null;
        INDArray mask = null;
        boolean opt = config instanceof Blip2Config blip2Config && blip2Config.text() instanceof OptConfig;
        boolean t5 = config instanceof Blip2Config blip2Config && blip2Config.text() instanceof T5Config;
        INDArray decoderIds = null;
        try (InputTensors in = new InputTensors(inputs)) {
            int size = vision.imageSize();
            pixels = in.require("pixel_values", DataType.FLOAT, -1, 3, size, size);
            if (opt || t5) {
                ids = in.require("input_ids", DataType.INT64, pixels.size(0), -1);
                mask = in.require("attention_mask", DataType.INT64, pixels.size(0), ids.size(1));
            }
            if (t5) {
                decoderIds = in.require("decoder_input_ids", DataType.INT64, pixels.size(0), -1);
            }
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try (var noGrad = Grad.off()) {
            VisionOutput v = vision.encode(Tensor.constant(pixels));
            tensors.put("vision_last_hidden_state", v.lastHiddenState().data());
            tensors.put("vision_pooler_output", v.poolerOutput().data());
            putAll(tensors, "vision_hidden_states.", v.hiddenStates());
            if (config instanceof Blip2Config blip2) {
                QueryTransformer queries = QueryTransformer.load(model);
                QFormerModel.Output q = queries.forward(v.lastHiddenState());
                putAll(tensors, "qformer_hidden_states.", q.hiddenStates());
                tensors.put("qformer_last_hidden_state", q.lastHiddenState().data());
                Tensor projected = LanguageProjection.load(model).forward(q.lastHiddenState());
                tensors.put("language_projection_output", projected.data());
                if (opt) {
                    OptForCausalLm lm = OptForCausalLm.load(model);
                    Tensor embeds = ImageTokens.scatter(lm.embed(ids), projected, ids,
                            blip2.imageTokenIndex().orElseThrow());
                    tensors.put("lm_inputs_embeds", embeds.data());
                    OptDecoder.Output out = lm.forward(embeds, mask);
                    putAll(tensors, "lm_hidden_states.", out.hiddenStates());
                    tensors.put("lm_logits", lm.logits(out.lastHiddenState()).data());
                } else if (t5) {
                    T5ForConditionalGeneration lm = T5ForConditionalGeneration.load(model);
                    Tensor embeds = ImageTokens.scatter(lm.embed(ids), projected, ids,
                            blip2.imageTokenIndex().orElseThrow());
                    tensors.put("lm_inputs_embeds", embeds.data());
                    tensors.put("lm_logits", lm.logits(decoderIds, lm.encode(embeds, mask), mask).data());
                }
            }
        }
        tensors.replaceAll((name, array) -> array.dup('c'));
        SafetensorsWriter.write(out, tensors, Map.of("format", "pt"));
        return ExitStatus.OK;
    }

    private static void putAll(Map<String, INDArray> tensors, String prefix, List<Tensor> states) {
        for (int i = 0; i < states.size(); i++) {
            tensors.put(prefix + i, states.get(i).data());
        }
    }
}
