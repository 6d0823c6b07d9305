package org.tiaoyu.qformer.vision.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.core.io.safetensors.DType;

/**
 * The {@code index.json} of a feature cache (see {@link FeatureCache} for the layout): which shard and row hold
 * each image's features, and which images were skipped and why. Mutable while a {@link FeatureCacheWriter} fills
 * it; {@link #write} replaces the file atomically.
 */
final class FeatureIndex {
    static final String FILE_NAME = "index.json";
    static final String FORMAT = "qformer-feature-cache";
    static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** {@code last_hidden_state}: what the tower returns; the other value, before its post_layernorm. */
    static final String LAST_HIDDEN_STATE = "last_hidden_state";
    static final String BEFORE_POST_LAYERNORM = "before_post_layernorm";

    final String model;
    final DType dtype;
    /** {@link #LAST_HIDDEN_STATE} or {@link #BEFORE_POST_LAYERNORM}; caches written before it existed hold the former. */
    final String layer;
    /** [N, D] of one image's features; null until the first batch is encoded. */
    long[] featureShape;
    final List<String> shards = new ArrayList<>();
    final Map<String, FeatureCache.Location> images = new LinkedHashMap<>();
    final Map<String, String> skipped = new LinkedHashMap<>();

    FeatureIndex(String model, DType dtype, String layer, long[] featureShape) {
        this.model = model;
        this.dtype = dtype;
        this.layer = layer;
        this.featureShape = featureShape;
    }

    /** Whether the cache already has an answer for {@code id}: its features, or the reason it was skipped. */
    boolean covers(String id) {
        return images.containsKey(id) || skipped.containsKey(id);
    }

    /**
     * Reads {@code dir/index.json}.
     *
     * @return the index, or null when the directory has none
     * @throws BadInputException when the file is not a feature-cache index
     */
    static FeatureIndex read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !FORMAT.equals(root.path("format").asText())
                    || root.path("version").asInt() != VERSION) {
                throw new BadInputException(file + ": not a version-" + VERSION + " " + FORMAT + " index");
            }
            DType dtype = DType.parse(root.path("dtype").asText());
            if (dtype == null) {
                throw new BadInputException(file + ": unknown dtype " + root.path("dtype"));
            }
            JsonNode shape = root.path("feature_shape");
            long[] featureShape = shape.isArray() ? new long[] {shape.path(0).asLong(), shape.path(1).asLong()} : null;
            String layer = root.path("layer").asText(LAST_HIDDEN_STATE);
            if (!layer.equals(LAST_HIDDEN_STATE) && !layer.equals(BEFORE_POST_LAYERNORM)) {
                throw new BadInputException(file + ": unknown layer \"" + layer + "\" (" + LAST_HIDDEN_STATE + " or "
                        + BEFORE_POST_LAYERNORM + ")");
            }
            FeatureIndex index = new FeatureIndex(root.path("model").asText(), dtype, layer, featureShape);
            root.path("shards").forEach(s -> index.shards.add(s.asText()));
            root.path("images").fields().forEachRemaining(e -> index.images.put(e.getKey(),
                    new FeatureCache.Location(e.getValue().path("shard").asText(), e.getValue().path("row").asInt())));
            root.path("skipped").fields().forEachRemaining(e -> index.skipped.put(e.getKey(), e.getValue().asText()));
            return index;
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read the feature-cache index: " + e.getMessage(), e);
        }
    }

    /** Replaces {@code dir/index.json} atomically: a synced temporary file, then a rename. */
    void write(Path dir) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("model", model);
        root.put("dtype", dtype.name());
        root.put("layer", layer);
        if (featureShape != null) {
            root.putArray("feature_shape").add(featureShape[0]).add(featureShape[1]);
        }
        ArrayNode shardNames = root.putArray("shards");
        shards.forEach(shardNames::add);
        ObjectNode imageNodes = root.putObject("images");
        images.forEach((id, at) -> imageNodes.putObject(id).put("shard", at.shard()).put("row", at.row()));
        ObjectNode skippedNodes = root.putObject("skipped");
        skipped.forEach(skippedNodes::put);
        Path file = dir.resolve(FILE_NAME);
        try {
            byte[] bytes = JSON.writeValueAsBytes(root);
            AtomicFile.write(file, temp -> Files.write(temp, bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the feature-cache index", e);
        }
    }
}
