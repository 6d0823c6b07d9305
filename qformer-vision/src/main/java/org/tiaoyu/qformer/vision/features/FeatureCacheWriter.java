package org.tiaoyu.qformer.vision.features;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.MemoryBudget;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.DType;
import org.tiaoyu.qformer.core.io.safetensors.HalfPrecision;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.vision.VisionOutput;
import org.tiaoyu.qformer.vision.VisionTower;
import org.tiaoyu.qformer.vision.image.ImageDecoder;
import org.tiaoyu.qformer.vision.image.ImageProcessor;
import org.tiaoyu.qformer.vision.image.RgbImage;

/**
 * Computes a frozen vision tower's {@code last_hidden_state} once per image and stores it in a
 * {@link FeatureCache} (the layout is described there), so that stage-1 training need not run the ViT.
 *
 * <p>Images are decoded and encoded in batches of {@link Settings#batchSize}, the next batch decoded on a second
 * thread while the current one is encoded; every {@link Settings#shardSize}
 * encoded images become a shard, written atomically, after which {@code index.json} is rewritten atomically. An
 * interrupted run therefore loses at most the images of the shard in progress: run again with the same output
 * directory and the images already in the index (cached or skipped) are left alone, and new shards are numbered
 * after the existing ones.
 *
 * <p>An image that cannot be decoded (missing, zero-byte, truncated, not an image) or has the wrong size is
 * skipped: counted, logged at WARN with its path and reason, and listed under {@code skipped} in the index. It is
 * not retried by later runs.
 */
public final class FeatureCacheWriter {
    private static final Logger LOG = LoggerFactory.getLogger(FeatureCacheWriter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<DType> DTYPES = Set.of(DType.F32, DType.F16, DType.BF16);

    /**
     * How features are stored.
     *
     * @param dtype     F32, F16 or BF16; narrowing rounds to nearest, ties to even ({@link HalfPrecision})
     * @param batchSize images per pass through the tower
     * @param shardSize images per shard file
     * @param beforePostLayernorm store the encoder's output before the tower's {@code post_layernorm} (LAVIS's
     *                  {@code ln_vision}, which stage-1 training trains) instead of its {@code last_hidden_state}
     */
    public record Settings(DType dtype, int batchSize, int shardSize, boolean beforePostLayernorm) {
        public static final int DEFAULT_BATCH_SIZE = 8;
        public static final int DEFAULT_SHARD_SIZE = 256;

        public Settings {
            if (!DTYPES.contains(dtype)) {
                throw new IllegalArgumentException("feature dtype must be F32, F16 or BF16, got " + dtype);
            }
            if (batchSize <= 0 || shardSize <= 0) {
                throw new IllegalArgumentException("batch size and shard size must be positive, got "
                        + batchSize + " and " + shardSize);
            }
        }

        /** Float32, batches of 8, shards of 256, {@code last_hidden_state}. */
        public static Settings defaults() {
            return new Settings(DType.F32, DEFAULT_BATCH_SIZE, DEFAULT_SHARD_SIZE, false);
        }

        String layer() {
            return beforePostLayernorm ? FeatureIndex.BEFORE_POST_LAYERNORM : FeatureIndex.LAST_HIDDEN_STATE;
        }
    }

    /**
     * Where a run stands, reported after every batch.
     *
     * @param done            images handled so far in this run, encoded or skipped
     * @param total           images this run has to handle (those not already in the cache)
     * @param skipped         images skipped so far in this run
     * @param imagesPerSecond images handled per second of this run
     */
    public record Progress(int done, int total, int skipped, double imagesPerSecond) {}

    /**
     * What a run did.
     *
     * @param encoded      images encoded and stored
     * @param skipped      unreadable images listed as skipped
     * @param alreadyDone  images left alone because the index already had them (cached or skipped)
     * @param shards       shard files written
     */
    public record Summary(int encoded, int skipped, int alreadyDone, int shards) {}

    private final VisionTower tower;
    private final ImageProcessor processor;
    private final Path modelDir;
    private final Settings settings;

    /**
     * @param tower     the frozen encoder
     * @param processor turns files into the tower's pixel values; its output size must be the tower's
     * @param modelDir  the directory the tower was loaded from, recorded in the index; a later run on the same
     *                  cache must give the same one
     */
    public FeatureCacheWriter(VisionTower tower, ImageProcessor processor, Path modelDir, Settings settings) {
        this.tower = tower;
        this.processor = processor;
        this.modelDir = modelDir.toAbsolutePath().normalize();
        this.settings = settings;
    }

    /**
     * Encodes the images the cache in {@code outDir} does not have yet and adds them to it, creating the
     * directory if needed.
     *
     * @param progress called after every batch
     * @throws BadInputException when {@code outDir} is a file, or holds a cache made with another model or dtype
     */
    public Summary write(List<ImageSource> images, Path outDir, Consumer<Progress> progress) {
        FeatureIndex index = openIndex(outDir);
        List<ImageSource> todo = new ArrayList<>();
        for (ImageSource image : images) {
            if (!index.covers(image.id())) {
                todo.add(image);
            }
        }
        int alreadyDone = images.size() - todo.size();
        if (alreadyDone > 0) {
            LOG.info("{}: {} of {} images already in the cache", outDir, alreadyDone, images.size());
        }
        long start = System.nanoTime();
        Map<String, INDArray> shard = new LinkedHashMap<>(); // id -> [N+1, D] in the cache's dtype
        int done = 0;
        int skipped = 0;
        int shards = 0;
        List<List<ImageSource>> batches = new ArrayList<>();
        for (int from = 0; from < todo.size(); from += settings.batchSize()) {
            batches.add(todo.subList(from, Math.min(todo.size(), from + settings.batchSize())));
        }
        // The next batch is decoded and resized on another thread while this one is encoded.
        ExecutorService decoder = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "qformer-image-decoder");
            thread.setDaemon(true);
            return thread;
        });
        try {
            Future<Decoded> next = batches.isEmpty() ? null : decoder.submit(decodeTask(batches.get(0)));
            for (int b = 0; b < batches.size(); b++) {
                Decoded decoded = await(next);
                next = b + 1 < batches.size() ? decoder.submit(decodeTask(batches.get(b + 1))) : null;
                decoded.skipped().forEach((id, reason) -> {
                    LOG.warn("skipped image {}", reason); // the reason starts with the path
                    index.skipped.put(id, reason);
                });
                skipped += decoded.skipped().size();
                if (!decoded.ids().isEmpty()) {
                    INDArray features = encode(decoded.pixels()); // [b, N+1, D] float32
                    checkShape(index, features);
                    for (int i = 0; i < decoded.ids().size(); i++) {
                        shard.put(decoded.ids().get(i), narrow(features.get(NDArrayIndex.point(i),
                                NDArrayIndex.all(), NDArrayIndex.all())));
                        if (shard.size() == settings.shardSize()) {
                            writeShard(outDir, index, shard);
                            shards++;
                        }
                    }
                }
                done += batches.get(b).size();
                MemoryBudget.collectOccasionally();
                double seconds = (System.nanoTime() - start) / 1e9;
                progress.accept(new Progress(done, todo.size(), skipped, seconds > 0 ? done / seconds : 0));
            }
        } finally {
            decoder.shutdownNow();
        }
        if (!shard.isEmpty()) {
            writeShard(outDir, index, shard);
            shards++;
        } else {
            index.write(outDir); // the skips since the last shard, or a new, empty cache
        }
        return new Summary(todo.size() - skipped, skipped, alreadyDone, shards);
    }

    /** A decoded batch: the ids and pixel values of the readable images, and the reasons the others were skipped. */
    private record Decoded(List<String> ids, List<float[]> pixels, Map<String, String> skipped) {}

    private Callable<Decoded> decodeTask(List<ImageSource> batch) {
        return () -> decode(batch);
    }

    private Decoded decode(List<ImageSource> batch) {
        List<String> ids = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (ImageSource image : batch) {
            try {
                pixels.add(pixelValues(image.file()));
                ids.add(image.id());
            } catch (BadInputException e) {
                skipped.put(image.id(), e.getMessage());
            }
        }
        return new Decoded(ids, pixels, skipped);
    }

    private static Decoded await(Future<Decoded> batch) {
        try {
            return batch.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding images", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The cache's index, or a new one; the directory is created if needed. */
    private FeatureIndex openIndex(Path outDir) {
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new BadInputException(outDir + ": exists and is not a directory; the feature cache is a directory");
        }
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException(outDir + ": cannot create the feature-cache directory", e);
        }
        FeatureIndex index = FeatureIndex.read(outDir);
        if (index == null) {
            return new FeatureIndex(modelDir.toString(), settings.dtype(), settings.layer(), null);
        }
        if (!index.model.equals(modelDir.toString())) {
            throw new BadInputException(outDir + ": the cache holds features of " + index.model + ", not of "
                    + modelDir + "; use another output directory");
        }
        if (index.dtype != settings.dtype()) {
            throw new BadInputException(outDir + ": the cache stores " + index.dtype + ", not "
                    + settings.dtype() + "; pass that dtype or use another output directory");
        }
        if (!index.layer.equals(settings.layer())) {
            throw new BadInputException(outDir + ": the cache holds " + index.layer + " features, not "
                    + settings.layer() + "; use the same setting or another output directory");
        }
        return index;
    }

    /** One image as the tower takes it: float32 [3, S, S], flattened. */
    private float[] pixelValues(Path file) {
        RgbImage image = processor.resize(ImageDecoder.read(file));
        int size = tower.imageSize();
        if (image.width() != size || image.height() != size) {
            throw new BadInputException(file + ": " + image.width() + "x" + image.height()
                    + " after preprocessing, but the vision tower takes " + size + "x" + size);
        }
        return processor.normalize(image);
    }

    /** Runs the tower on a batch, without gradients: [b, N+1, D] float32. */
    private INDArray encode(List<float[]> pixels) {
        int size = tower.imageSize();
        int plane = 3 * size * size;
        float[] data = new float[pixels.size() * plane];
        for (int i = 0; i < pixels.size(); i++) {
            System.arraycopy(pixels.get(i), 0, data, i * plane, plane);
        }
        INDArray batch = Nd4j.create(data, new long[] {pixels.size(), 3, size, size}, 'c');
        VisionOutput out = tower.encode(Tensor.constant(batch));
        return settings.beforePostLayernorm() ? out.hiddenStates().get(out.hiddenStates().size() - 1).data()
                : out.lastHiddenState().data();
    }

    private static void checkShape(FeatureIndex index, INDArray features) {
        long[] shape = {features.size(1), features.size(2)};
        if (index.featureShape == null) {
            index.featureShape = shape;
        } else if (!Arrays.equals(index.featureShape, shape)) {
            throw new IllegalStateException("the tower gave features of shape " + Arrays.toString(shape)
                    + ", the cache holds " + Arrays.toString(index.featureShape));
        }
    }

    /** A dense copy of one image's features in the cache's dtype. */
    private INDArray narrow(INDArray features) {
        INDArray dense = features.dup('c');
        if (settings.dtype() == DType.F32) {
            return dense;
        }
        float[] values = dense.data().asFloat();
        INDArray narrowed = Nd4j.createUninitialized(settings.dtype().nd4j(), dense.shape(), 'c');
        ShortBuffer bits = narrowed.data().asNio().order(ByteOrder.nativeOrder()).asShortBuffer();
        for (float v : values) {
            bits.put(settings.dtype() == DType.F16 ? HalfPrecision.floatToHalf(v) : HalfPrecision.floatToBfloat16(v));
        }
        return narrowed;
    }

    /** Writes the rows gathered so far as the next shard, then the index that lists them, and empties {@code rows}. */
    private static void writeShard(Path outDir, FeatureIndex index, Map<String, INDArray> rows) {
        String name = String.format(Locale.ROOT, "features-%05d.safetensors", index.shards.size());
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>(rows.keySet());
        for (int row = 0; row < ids.size(); row++) {
            tensors.put(Integer.toString(row), rows.get(ids.get(row)));
        }
        String idsJson;
        try {
            idsJson = JSON.writeValueAsString(ids);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode the image ids: " + e.getOriginalMessage(), e);
        }
        SafetensorsWriter.write(outDir.resolve(name), tensors, Map.of("format", "pt", "ids", idsJson));
        index.shards.add(name);
        for (int row = 0; row < ids.size(); row++) {
            index.images.put(ids.get(row), new FeatureCache.Location(name, row));
        }
        index.write(outDir);
        LOG.info("{}: wrote {} ({} images, {} cached in all, {} skipped)", outDir, name, ids.size(),
                index.images.size(), index.skipped.size());
        rows.clear();
    }
}
