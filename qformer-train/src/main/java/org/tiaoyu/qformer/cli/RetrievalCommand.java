package org.tiaoyu.qformer.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.vision.Blip2ImageTextRetrieval;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qformer retrieval}: ITM and ITC scores of a {@code Blip2ForImageTextRetrieval} directory (DESIGN §5),
 * written to a safetensors file; prints one line naming the file and the shapes written.
 */
@Command(name = "retrieval", description = "Score images against texts with a Blip2ForImageTextRetrieval model.")
final class RetrievalCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A Blip2ForImageTextRetrieval directory.")
    private Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN",
            description = "Safetensors with pixel_values [B,3,S,S], input_ids and attention_mask [B,T].")
    private Path inputs;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Safetensors file to write.")
    private Path out;

    @Override
    public Integer call() throws IOException {
        AtomicFile.requireWritable(out);
        Blip2ImageTextRetrieval retrieval = Blip2ImageTextRetrieval.load(model);
        int size = retrieval.vision.imageSize();
        INDArray pixels;
        INDArray ids;
        INDArray mask;
        try (InputTensors in = new InputTensors(inputs)) {
            pixels = in.require("pixel_values", DataType.FLOAT, -1, 3, size, size);
            ids = in.require("input_ids", DataType.INT64, pixels.size(0), -1);
            mask = in.require("attention_mask", DataType.INT64, pixels.size(0), ids.size(1));
            in.requireIndices("input_ids", ids, retrieval.qformer.config.qformer().vocabSize());
        }
        Blip2ImageTextRetrieval.Scores scores = retrieval.score(pixels, ids, mask);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("itm_logits_per_image", scores.itmLogits());
        tensors.put("itc_logits_per_image", scores.itcPerImage());
        tensors.put("itc_logits_per_text", scores.itcPerText());
        tensors.put("itc_image_embeds", scores.imageEmbeds());
        tensors.put("itc_text_embeds", scores.textEmbeds());
        tensors.replaceAll((name, array) -> array.dup('c'));
        SafetensorsWriter.write(out, tensors, Map.of("format", "pt"));
        long[] itm = scores.itmLogits().shape();
        long[] itc = scores.itcPerImage().shape();
        spec.commandLine().getOut().printf("%d image-text pairs: itm_logits_per_image %d x %d, itc_logits_per_image "
                + "%d x %d -> %s%n", pixels.size(0), itm[0], itm[1], itc[0], itc[1], out);
        return ExitStatus.OK;
    }
}
