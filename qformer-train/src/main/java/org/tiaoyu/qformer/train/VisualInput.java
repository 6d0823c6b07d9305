package org.tiaoyu.qformer.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.config.VisionConfig;
import org.tiaoyu.qformer.data.CaptionRecord;
import org.tiaoyu.qformer.data.SkippedRecord;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.features.FeatureCache;
import org.tiaoyu.qformer.vision.image.ImageDecoder;
import org.tiaoyu.qformer.vision.image.ImageProcessor;
import org.tiaoyu.qformer.vision.image.RgbImage;
import org.tiaoyu.qformer.vision.image.TrainAugmentation;

/**
 * What the Q-Former reads in both stages, LAVIS's {@code ln_vision(visual_encoder(image))}: the frozen vision tower
 * on decoded (and augmented) images, or features from a {@link FeatureCache}, then the tower's last LayerNorm
 * ({@code post_layernorm}), which trains unless the config says not to or the cache holds features after it.
 */
final class VisualInput implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VisualInput.class);

    /** The images (or features) of a batch's usable records, and the records left out. */
    record Prepared(INDArray visual, List<CaptionRecord> usable, List<SkippedRecord> skipped) {}

    final Blip2VisionTower tower;
    private final ImageProcessor processor;
    private final TrainAugmentation augmentation;     // null: resize as inference does
    private final FeatureCache features;              // null: images
    private final boolean featuresBeforeLayernorm;
    private final boolean trainLnVision;
    private final boolean trainVit;

    /**
     * @param tower     the frozen tower (its {@code post_layernorm} is unfrozen here when it trains)
     * @param processor the model directory's image processing
     */
    VisualInput(Blip2VisionTower tower, ImageProcessor processor, TrainConfig.Data data, TrainConfig.Model model) {
        boolean trainLnVision = model.trainLnVision() || model.trainVit();
        this.trainVit = model.trainVit();
        this.tower = tower;
        this.processor = processor;
        this.augmentation = data.augment() ? new TrainAugmentation(processor.config().height()) : null;
        this.features = data.features() == null ? null : FeatureCache.open(Path.of(data.features()));
        this.featuresBeforeLayernorm = features != null && features.beforePostLayernorm();
        this.trainLnVision = trainLnVision && (features == null || featuresBeforeLayernorm);
        if (features != null) {
            requireShape(data.features(), features.featureShape(), tower.config);
        }
        tower.freeze();
        tower.eval();
        if (trainVit) {
            tower.unfreeze();
            LOG.info("the vision tower trains (model.train_vit)");
        } else if (this.trainLnVision) {
            tower.postLayernorm.unfreeze();
        } else if (trainLnVision) {
            LOG.info("post_layernorm (ln_vision) stays frozen: the feature cache holds features after it; write the "
                    + "cache with qformer features --before-post-layernorm to train it");
        }
    }

    private static void requireShape(String cache, long[] shape, VisionConfig vision) {
        long side = vision.imageSize() / vision.patchSize();
        long tokens = side * side + 1;
        if (shape == null || shape[0] != tokens || shape[1] != vision.hiddenSize()) {
            throw new BadInputException(cache + ": features of shape " + java.util.Arrays.toString(shape)
                    + ", but the vision tower takes [" + tokens + ", " + vision.hiddenSize() + "]");
        }
    }

    /** Null when the record's image (or its features) can be used, else why not. */
    String problem(CaptionRecord record) {
        if (features != null) {
            return features.contains(record.image()) ? null : "not in the feature cache";
        }
        Path file = record.file();
        if (!Files.isRegularFile(file)) {
            return Files.exists(file) ? "not a file" : "no such file";
        }
        try {
            return Files.size(file) == 0 ? "empty file" : null;
        } catch (IOException e) {
            return "cannot be read (" + e.getMessage() + ")";
        }
    }

    /** Decodes and augments the records' images (on a loader thread), or reads their features. */
    Prepared prepare(List<CaptionRecord> records, List<Rng> rngs) {
        List<SkippedRecord> skipped = new ArrayList<>();
        List<CaptionRecord> usable = new ArrayList<>();
        if (features != null) {
            INDArray visual;
            synchronized (features) {   // a FeatureCache is not thread-safe
                visual = features.batch(records.stream().map(CaptionRecord::image).toList());
            }
            return new Prepared(visual, List.copyOf(records), skipped);
        }
        List<float[]> pixels = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            CaptionRecord r = records.get(i);
            try {
                RgbImage image = ImageDecoder.read(r.file());
                RgbImage input = augmentation != null ? augmentation.apply(image, rngs.get(i))
                        : processor.resize(image);
                pixels.add(processor.normalize(input));
                usable.add(r);
            } catch (RuntimeException e) {
                skipped.add(new SkippedRecord(r.source(), "image " + r.file() + ": " + e.getMessage()));
            }
        }
        int size = processor.config().height();
        int plane = 3 * size * size;
        float[] data = new float[pixels.size() * plane];
        for (int i = 0; i < pixels.size(); i++) {
            System.arraycopy(pixels.get(i), 0, data, i * plane, plane);
        }
        INDArray visual = pixels.isEmpty() ? null
                : Nd4j.create(data, new long[] {pixels.size(), 3, size, size}, 'c');
        return new Prepared(visual, usable, skipped);
    }

    /** What the Q-Former cross-attends to, with gradient into {@code post_layernorm} when it trains. */
    Tensor embeds(INDArray visual) {
        if (features != null && !featuresBeforeLayernorm) {
            return Tensor.constant(visual);
        }
        INDArray encoderOutput;
        if (trainVit) {
            return tower.forward(Tensor.constant(visual)).lastHiddenState();
        }
        if (features != null) {
            encoderOutput = visual;
        } else {
            try (var noGrad = Grad.off()) {
                List<Tensor> hidden = tower.forward(Tensor.constant(visual)).hiddenStates();
                encoderOutput = hidden.get(hidden.size() - 1).data();
            }
        }
        if (trainLnVision) {
            return tower.postLayernorm.forward(Tensor.constant(encoderOutput));
        }
        try (var noGrad = Grad.off()) {
            return tower.postLayernorm.forward(Tensor.constant(encoderOutput));
        }
    }

    /**
     * BEiT's layer-wise decay over the tower, by checkpoint name: layer i of L gets {@code decay^(L − i)}, the
     * embeddings {@code decay^(L + 1)}, {@code post_layernorm} 1. Empty unless the tower trains.
     */
    Map<String, Double> layerDecayScales(double decay) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (!trainVit) {
            return out;
        }
        int layers = tower.config.numHiddenLayers();
        for (String name : tower.trainableParameters().keySet()) {
            int exponent;
            if (name.startsWith("embeddings.")) {
                exponent = layers + 1;
            } else if (name.startsWith("encoder.layers.")) {
                int layer = Integer.parseInt(name.substring("encoder.layers.".length()).split("\\.")[0]);
                exponent = layers - layer;
            } else {
                exponent = 0;
            }
            out.put("vision_model." + name, Math.pow(decay, exponent));
        }
        return out;
    }

    /** The tower's trainable parameters under their checkpoint names ({@code vision_model.…}). */
    Map<String, Tensor> trainableParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tower.trainableParameters().forEach((name, p) -> out.put("vision_model." + name, p));
        return out;
    }

    @Override
    public void close() {
        if (features != null) {
            features.close();
        }
    }
}
