package org.tiaoyu.qformer.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.io.safetensors.DType;
import org.tiaoyu.qformer.vision.VisionTower;
import org.tiaoyu.qformer.vision.features.FeatureCacheWriter;
import org.tiaoyu.qformer.vision.features.FeatureCacheWriter.Settings;
import org.tiaoyu.qformer.vision.features.FeatureCacheWriter.Summary;
import org.tiaoyu.qformer.vision.features.ImageSource;
import org.tiaoyu.qformer.vision.image.ImageProcessor;
import org.tiaoyu.qformer.vision.image.ImageProcessorConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qformer features --model DIR --images LIST_OR_DIR --out CACHE}: the frozen-feature cache (see
 * {@link org.tiaoyu.qformer.vision.features.FeatureCache} for its layout). Run it again on the same {@code CACHE}
 * to resume after an interruption or to add images; unreadable images are skipped and listed in the index. A
 * folder or list file with no images at all is bad input: nothing is written.
 *
 * <p>Progress: a line on stderr rewritten after every batch when there is a console, and an INFO log line per
 * shard in any case.
 */
@Command(name = "features",
        description = "Compute the vision tower's last_hidden_state of every image once, into a sharded, "
                + "resumable safetensors cache for stage-1 training.")
final class FeaturesCommand implements Callable<Integer> {

    /** The dtypes a cache can store, as the flag spells them. */
    enum FeatureDtype {
        f32(DType.F32), f16(DType.F16), bf16(DType.BF16);

        final DType dtype;

        FeatureDtype(DType dtype) {
            this.dtype = dtype;
        }
    }

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A BLIP-2, Blip2VisionModel or CLIPVisionModel directory.")
    private Path model;

    @Option(names = "--images", required = true, paramLabel = "LIST_OR_DIR", description = "A directory (its "
            + "PNG, JPEG, BMP, GIF and WebP files, recursively; ids are relative paths) or a text file of image "
            + "paths, one per line, relative to the file (ids are the lines).")
    private Path images;

    @Option(names = "--out", required = true, paramLabel = "CACHE", description = "The cache directory.")
    private Path out;

    @Option(names = "--dtype", paramLabel = "f32|f16|bf16", defaultValue = "f32",
            description = "Storage type of the features (default: ${DEFAULT-VALUE}).")
    private FeatureDtype dtype;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "" + Settings.DEFAULT_BATCH_SIZE,
            description = "Images per pass through the tower (default: ${DEFAULT-VALUE}).")
    private int batchSize;

    @Option(names = "--shard-size", paramLabel = "N", defaultValue = "" + Settings.DEFAULT_SHARD_SIZE,
            description = "Images per shard file (default: ${DEFAULT-VALUE}).")
    private int shardSize;

    @Option(names = "--before-post-layernorm", description = "Store the encoder's output before the tower's "
            + "post_layernorm (LAVIS's ln_vision), so that stage-1 training can train that LayerNorm, as LAVIS does.")
    private boolean beforePostLayernorm;

    @Override
    public Integer call() {
        Settings settings = new Settings(dtype.dtype, batchSize, shardSize, beforePostLayernorm);
        if (!Files.isDirectory(model)) {
            throw new BadInputException(model + ": not a model directory");
        }
        List<ImageSource> sources = ImageSource.list(images);
        if (sources.isEmpty()) {
            throw new BadInputException(images + (Files.isDirectory(images)
                    ? ": no images in the folder (PNG, JPEG, BMP, GIF or WebP files, searched recursively)"
                    : ": the list file names no images"));
        }
        VisionTower tower = VisionTower.load(model);
        // The tower's position embeddings fix the input size, whatever preprocessor_config.json says.
        ImageProcessor processor = new ImageProcessor(
                ImageProcessorConfig.fromModelDir(model).withSize(tower.imageSize()));
        ProgressLine line = new ProgressLine(spec.commandLine().getErr(), "features", "images");
        Summary summary = new FeatureCacheWriter(tower, processor, model, settings).write(sources, out,
                progress -> line.update(progress.done(), progress.total(), progress.skipped() + " skipped"));
        line.finish();
        spec.commandLine().getOut().printf("%d images encoded, %d skipped, %d already in the cache, %d shards "
                + "written -> %s%n", summary.encoded(), summary.skipped(), summary.alreadyDone(), summary.shards(),
                out);
        return ExitStatus.OK;
    }
}
