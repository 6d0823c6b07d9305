package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.core.qformer.Stage1Loss;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qformer stage1-losses}: LAVIS's stage-1 losses, logits and gradients for fixed inputs and fixed hard
 * negatives (dropout off), written as safetensors (DESIGN §5).
 */
@Command(name = "stage1-losses",
        description = "Compute the ITC, ITM and ITG losses, logits and every parameter's gradient for fixed inputs.")
final class Stage1LossesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A stage-1 checkpoint (or Blip2ForImageTextRetrieval) directory.")
    private Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN", description = "Safetensors with image_embeds "
            + "[B,N,Dv], input_ids and attention_mask [B,T], itm_neg_image_idx and itm_neg_text_idx [B].")
    private Path inputs;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Safetensors file to write.")
    private Path out;

    @Option(names = "--dec-token-id", paramLabel = "ID",
            description = "The [DEC] token that starts ITG (default: [DEC] in the model's tokenizer.json).")
    private Long decTokenId;

    @Option(names = "--pad-token-id", paramLabel = "ID",
            description = "The padding token (default: the Q-Former config's pad_token_id).")
    private Long padTokenId;

    @Override
    public Integer call() throws IOException {
        AtomicFile.requireWritable(out);
        ImageTextQFormer qformer = ImageTextQFormer.load(model);
        long dec = decTokenId != null ? decTokenId : decFromTokenizer(model);
        long pad = padTokenId != null ? padTokenId : qformer.config.qformer().padTokenId();

        Stage1Loss.Batch batch;
        Stage1Loss.Negatives negatives;
        try (InputTensors in = new InputTensors(inputs)) {
            INDArray image = in.require("image_embeds", DataType.FLOAT, -1, -1, qformer.config.vision().hiddenSize());
            long b = image.size(0);
            INDArray ids = in.require("input_ids", DataType.INT64, b, -1);
            INDArray mask = in.require("attention_mask", DataType.INT64, b, ids.size(1));
            INDArray negImage = in.require("itm_neg_image_idx", DataType.INT64, b);
            INDArray negText = in.require("itm_neg_text_idx", DataType.INT64, b);
            in.requireIndices("input_ids", ids, qformer.config.qformer().vocabSize());
            in.requireIndices("itm_neg_image_idx", negImage, b);
            in.requireIndices("itm_neg_text_idx", negText, b);
            if (b < 2) {
                throw new BadInputException(in.path() + ": a batch of " + b + "; stage 1 needs at least 2");
            }
            batch = new Stage1Loss.Batch(Tensor.variable(image), ids, mask);
            negatives = new Stage1Loss.Negatives(negImage.toLongVector(), negText.toLongVector());
        }

        Stage1Loss.Result r = new Stage1Loss(qformer, dec, pad).compute(batch, negatives);
        r.loss().backward();

        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("loss_itc", r.itc().loss().data());
        tensors.put("loss_itm", r.itm().loss().data());
        tensors.put("loss_itg", r.itg().loss().data());
        tensors.put("loss", r.loss().data());
        tensors.put("sim_i2t", r.itc().simI2t().data());
        tensors.put("sim_t2i", r.itc().simT2i().data());
        tensors.put("itm_logits", r.itm().logits().data());
        tensors.put("itg_logits", r.itg().logits().data());
        tensors.put("image_feats", r.outputs().imageFeats().data());
        tensors.put("text_feat", r.outputs().textFeat().data());
        tensors.put("itg_labels", r.itg().labels());
        tensors.put("decoder_input_ids", r.itg().decoderInputIds());
        qformer.trainableParameters().forEach((name, p) -> tensors.put("grad." + name, p.grad()));
        tensors.put("grad.image_embeds", batch.imageEmbeds().grad());
        tensors.replaceAll((name, array) -> array.dup('c'));
        SafetensorsWriter.write(out, tensors, Map.of("format", "pt"));
        spec.commandLine().getOut().printf("loss %.6f (itc %.6f, itm %.6f, itg %.6f) -> %s%n", r.loss().item(),
                r.itc().loss().item(), r.itm().loss().item(), r.itg().loss().item(), out);
        return ExitStatus.OK;
    }

    /** The id of {@code [DEC]} among the added tokens of {@code DIR/tokenizer.json}. */
    private static long decFromTokenizer(Path modelDir) throws IOException {
        Path tokenizer = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            throw new BadInputException(modelDir + ": no tokenizer.json to find the [DEC] token in; pass --dec-token-id");
        }
        JsonNode root = new ObjectMapper().readTree(tokenizer.toFile());
        for (JsonNode token : root.path("added_tokens")) {
            if ("[DEC]".equals(token.path("content").asText())) {
                return token.path("id").asLong();
            }
        }
        throw new BadInputException(tokenizer + ": no [DEC] token; pass --dec-token-id");
    }
}
