package org.tiaoyu.qformer.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Arena;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.lm.ImageTokens;
import org.tiaoyu.qformer.lm.generate.GenerationConfig;
import org.tiaoyu.qformer.lm.generate.GenerationOutput;
import org.tiaoyu.qformer.pipeline.Blip2Generator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qformer generate} (DESIGN §5): HF's {@code generate} on token ids. Writes {@code sequences} in HF's layout
 * (OPT: prompt + new tokens; T5: decoder start + new tokens) and, for beam search, {@code sequences_scores}, then
 * prints one line naming the output file and the shapes written.
 */
@Command(name = "generate", description = "Generate token ids from pixel values (and prompt ids) with a BLIP-2 "
        + "model directory.")
final class GenerateCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A Blip2ForConditionalGeneration directory (weights and config.json).")
    private Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN",
            description = "Safetensors with pixel_values [B,3,S,S] and, optionally, input_ids and attention_mask "
                    + "[B,T] (without them the prompt is [image]*Q + [bos]).")
    private Path inputs;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Safetensors file to write.")
    private Path out;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "B",
            description = "Images per batch (default ${DEFAULT-VALUE}); the output is the same for any batch size.")
    private int batchSize;

    @Mixin
    private GenerationOptions generation = new GenerationOptions();

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw new ParameterException(spec.commandLine(), "--batch-size must be positive, got " + batchSize);
        }
        AtomicFile.requireWritable(out);
        Blip2Generator generator = Blip2Generator.load(model);
        GenerationConfig settings = generation.settings(GenerationConfig.fromModelDir(model));
        List<GenerationOutput> parts = new ArrayList<>();
        long images;
        try (InputTensors in = new InputTensors(inputs)) {
            int size = generator.imageSize();
            images = in.requireShape("pixel_values", -1, 3, size, size)[0];
            if (images == 0) {
                throw new BadInputException(in.path() + ": tensor 'pixel_values' holds no images (the batch is "
                        + "empty)");
            }
            INDArray ids;
            INDArray mask;
            if (in.has("input_ids")) {
                ids = in.require("input_ids", DataType.INT64, images, -1);
                in.requireIndices("input_ids", ids, generator.config().text().vocabSize());
                mask = in.require("attention_mask", DataType.INT64, images, ids.size(1));
                try {
                    ImageTokens.requireCount(ids, generator.config().imageTokenIndex().getAsInt(),
                            generator.config().numQueryTokens());
                } catch (BadInputException e) {
                    throw new BadInputException(in.path() + ": " + e.getMessage(), e);
                }
            } else {
                ids = generator.imageOnlyPrompt((int) images);
                mask = Nd4j.ones(DataType.INT64, ids.shape());
            }
            ProgressLine progress = new ProgressLine(spec.commandLine().getErr(), "generate", "images");
            for (long from = 0; from < images; from += batchSize) {
                long to = Math.min(images, from + batchSize);
                INDArrayIndex rows = NDArrayIndex.interval(from, to);
                INDArray batch = in.rows("pixel_values", DataType.FLOAT, from, to);
                parts.add(generator.generate(batch, ids.get(rows, NDArrayIndex.all()),
                        mask.get(rows, NDArrayIndex.all()), settings));
                Arena.release(batch);
                progress.update(to, images, "");
            }
            progress.finish();
        }
        GenerationOutput result = GenerationOutput.concat(parts, generator.fillTokenId(settings));
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("sequences", Nd4j.createFromArray(result.sequences()));
        if (result.sequencesScores() != null) {
            tensors.put("sequences_scores", Nd4j.createFromArray(result.sequencesScores()).castTo(DataType.FLOAT));
        }
        SafetensorsWriter.write(out, tensors, Map.of("format", "pt"));
        long[][] sequences = result.sequences();
        int length = sequences.length == 0 ? 0 : sequences[0].length;
        spec.commandLine().getOut().printf("sequences %d x %d (%d images, %d each)%s -> %s%n", sequences.length,
                length, images, sequences.length / images,
                result.sequencesScores() == null ? "" : ", sequences_scores " + result.sequencesScores().length, out);
        return ExitStatus.OK;
    }
}
