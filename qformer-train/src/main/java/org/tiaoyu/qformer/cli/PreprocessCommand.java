package org.tiaoyu.qformer.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.vision.image.ImageProcessor;
import org.tiaoyu.qformer.vision.image.ImageProcessorConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code qformer preprocess --size S IMAGE… --out OUT}: image files to the {@code pixel_values} [N,3,S,S] that HF's
 * {@code Blip2Processor} gives for them (DESIGN §4 "Images", §5), written as safetensors batch by batch. Any
 * unreadable image stops the command and leaves no output.
 */
@Command(name = "preprocess",
        description = "Turn images into pixel_values [N,3,S,S] as BLIP-2's image processor does (Pillow's RGB "
                + "conversion and BICUBIC resize, x/255, CLIP mean and std).")
final class PreprocessCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--size", paramLabel = "S",
            description = "Output height and width (default: the --model's size).")
    private Integer size;

    @Option(names = "--model", paramLabel = "DIR", description = "Take the settings from DIR/preprocessor_config.json "
            + "(HF's BlipImageProcessor defaults where it has none).")
    private Path model;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Safetensors file to write.")
    private Path out;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "PNG, JPEG, BMP or GIF files, in batch order.")
    private List<Path> images;

    /** Images decoded and held at once: the output is written batch by batch, so memory does not grow with N. */
    private static final int BATCH = 16;

    @Override
    public Integer call() throws IOException {
        ImageProcessorConfig config = config();
        AtomicFile.requireWritable(out);
        ImageProcessor processor = new ImageProcessor(config);
        long[] shape = {images.size(), 3, config.height(), config.width()};
        SafetensorsWriter.writeRows(out, "pixel_values", DataType.FLOAT, shape, Map.of("format", "pt"), BATCH,
                (from, to) -> processor.pixelValues(images.subList((int) from, (int) to)));
        spec.commandLine().getOut().printf("pixel_values %d x 3 x %d x %d -> %s%n", images.size(), config.height(),
                config.width(), out);
        return ExitStatus.OK;
    }

    private ImageProcessorConfig config() {
        if (size == null && model == null) {
            throw new ParameterException(spec.commandLine(), "give --size, --model, or both");
        }
        if (size != null && size <= 0) {
            throw new ParameterException(spec.commandLine(), "--size must be positive, got " + size);
        }
        if (model != null && !Files.isDirectory(model)) {
            throw new BadInputException(model + ": not a model directory");
        }
        ImageProcessorConfig config = model != null ? ImageProcessorConfig.fromModelDir(model)
                : ImageProcessorConfig.blip();
        return size != null ? config.withSize(size) : config;
    }
}
