package org.tiaoyu.qformer.vision.features;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.io.safetensors.DType;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/**
 * A frozen-feature cache written by {@link FeatureCacheWriter}, opened for reading: the vision tower's
 * {@code last_hidden_state} [N+1, D] of each image, by image id.
 *
 * <p>Layout of the cache directory:
 * <ul>
 *   <li>{@code features-00000.safetensors}, {@code features-00001.safetensors}, …: shards of up to
 *       {@code --shard-size} images. Row {@code r} of a shard is the tensor named {@code "r"} (decimal, from 0),
 *       shape [N+1, D], in the cache's dtype (F32, F16 or BF16); the header's {@code __metadata__} holds
 *       {@code "ids"}, a JSON array of the image ids by row.</li>
 *   <li>{@code index.json}: {@code format} ({@code "qformer-feature-cache"}), {@code version} (1), {@code model}
 *       (the absolute model directory), {@code dtype}, {@code feature_shape} [N+1, D], {@code shards} (file names in
 *       order), {@code images} (id → {@code {"shard": file, "row": r}}) and {@code skipped} (id → reason).</li>
 * </ul>
 * Every file is written atomically (temporary file, sync, rename), shards before the index that names them, so a
 * cache is always consistent with its index.
 *
 * <p>Shards are opened (memory-mapped) on first use and kept open until {@link #close}. Not thread-safe.
 */
public final class FeatureCache implements AutoCloseable {

    /** Where an image's features are: a shard file of the cache and the row in it. */
    public record Location(String shard, int row) {}

    private final Path dir;
    private final FeatureIndex index;
    private final Map<String, SafetensorsFile> open = new HashMap<>();

    private FeatureCache(Path dir, FeatureIndex index) {
        this.dir = dir;
        this.index = index;
    }

    /**
     * Opens the cache in {@code dir}.
     *
     * @throws BadInputException when {@code dir} is not a directory or has no valid {@code index.json}
     */
    public static FeatureCache open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(dir + ": not a feature-cache directory");
        }
        FeatureIndex index = FeatureIndex.read(dir);
        if (index == null) {
            throw new BadInputException(dir + ": no " + FeatureIndex.FILE_NAME + "; not a feature cache");
        }
        return new FeatureCache(dir, index);
    }

    /** The ids of the cached images, in the order they were written. */
    public List<String> ids() {
        return List.copyOf(index.images.keySet());
    }

    public boolean contains(String id) {
        return index.images.containsKey(id);
    }

    /** Where {@code id}'s features are stored, or null when it is not cached. */
    public Location location(String id) {
        return index.images.get(id);
    }

    /** The images that could not be read, id → reason. */
    public Map<String, String> skipped() {
        return Map.copyOf(index.skipped);
    }

    /** The dtype the features are stored in. */
    public DType dtype() {
        return index.dtype;
    }

    /** The model directory the features were computed with, as recorded when the cache was created. */
    public String model() {
        return index.model;
    }

    /** [N+1, D] of one image's features, or null for a cache with no image yet. */
    /**
     * Whether the cache holds the encoder's output before the tower's {@code post_layernorm} (written with
     * {@code --before-post-layernorm}) rather than its {@code last_hidden_state}.
     */
    public boolean beforePostLayernorm() {
        return index.layer.equals(FeatureIndex.BEFORE_POST_LAYERNORM);
    }

    public long[] featureShape() {
        return index.featureShape == null ? null : index.featureShape.clone();
    }

    /**
     * One image's {@code last_hidden_state}, widened to float32 (exactly: every F16 and BF16 value is a float).
     *
     * @return a new [N+1, D] float32 array
     * @throws IllegalArgumentException when {@code id} is not cached
     * @throws BadInputException when its shard is missing or damaged
     */
    public INDArray features(String id) {
        Location at = index.images.get(id);
        if (at == null) {
            throw new IllegalArgumentException("image " + id + " is not in the feature cache " + dir);
        }
        SafetensorsFile shard = open.computeIfAbsent(at.shard(), name -> SafetensorsFile.open(dir.resolve(name)));
        return shard.load(Integer.toString(at.row()), DataType.FLOAT);
    }

    /**
     * The features of {@code ids} stacked in that order: the {@code image_embeds} batch a stage-1 step takes in place
     * of running the vision tower.
     *
     * @return a new [ids.size(), N+1, D] float32 array
     * @throws IllegalArgumentException when an id is not cached
     */
    public INDArray batch(List<String> ids) {
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("no image ids");
        }
        long[] shape = featureShape();
        INDArray out = Nd4j.create(DataType.FLOAT, ids.size(), shape[0], shape[1]);
        for (int i = 0; i < ids.size(); i++) {
            out.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()).assign(features(ids.get(i)));
        }
        return out;
    }

    /** Closes the shards opened so far. */
    @Override
    public void close() {
        open.values().forEach(SafetensorsFile::close);
        open.clear();
    }
}
