package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Grad;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.qformer.ImageTextQFormer;
import org.tiaoyu.qformer.core.qformer.Stage1Loss;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.features.FeatureCache;
import org.tiaoyu.qformer.vision.image.ImageProcessor;
import org.tiaoyu.qformer.vision.image.ImageProcessorConfig;

/**
 * Stage 1 can read the frozen-feature cache instead of running the vision tower: the losses of a batch of images
 * taken from a {@code qformer features} cache equal, within float32 rounding, those computed from the tower's
 * outputs for the same image files (the fixture's retrieval model: its vision tower and Q-Former).
 */
class Stage1FromFeatureCacheTest {

    private static final Path MODEL = Fixtures.path("hf/public/retrieval_model");

    @TempDir
    Path dir;

    @Test
    void cachedFeaturesGiveTheSameLosses() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            BufferedImage image = new BufferedImage(32 + 8 * i, 32, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, (x * 41 + y * 97 + i * 61) * 2654435 & 0xFFFFFF);
                }
            }
            ImageIO.write(image, "png", images.resolve("img" + i + ".png").toFile());
            ids.add("img" + i + ".png");
        }
        Path cache = dir.resolve("cache");
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "features",
                "--model", MODEL.toString(), "--images", images.toString(), "--out", cache.toString());
        assertEquals(0, status, err.toString());

        INDArray fromCache;
        try (FeatureCache features = FeatureCache.open(cache)) {
            fromCache = features.batch(ids);
        }
        ImageProcessor processor = new ImageProcessor(ImageProcessorConfig.fromModelDir(MODEL).withSize(32));
        INDArray fromTower;
        try (var noGrad = Grad.off()) {
            fromTower = Blip2VisionTower.load(MODEL).encode(Tensor.constant(processor.pixelValues(
                    ids.stream().map(images::resolve).toList()))).lastHiddenState().data();
        }

        ImageTextQFormer model = ImageTextQFormer.load(MODEL);
        INDArray inputIds = Nd4j.createFromArray(new long[][] {
            {101, 11, 23, 35, 102}, {101, 58, 69, 102, 0}, {101, 7, 8, 9, 102}, {101, 40, 102, 0, 0}});
        INDArray mask = inputIds.neq(0).castTo(DataType.INT64);
        Stage1Loss loss = new Stage1Loss(model, 119, 0);
        Stage1Loss.Negatives negatives = new Stage1Loss.Negatives(new long[] {1, 2, 3, 0}, new long[] {3, 0, 1, 2});
        try (var noGrad = Grad.off()) {
            Stage1Loss.Result cached = loss.compute(new Stage1Loss.Batch(Tensor.constant(fromCache), inputIds, mask),
                    negatives);
            Stage1Loss.Result encoded = loss.compute(new Stage1Loss.Batch(Tensor.constant(fromTower), inputIds, mask),
                    negatives);
            assertEquals(encoded.itc().loss().item(), cached.itc().loss().item(), 1e-5);
            assertEquals(encoded.itm().loss().item(), cached.itm().loss().item(), 1e-5);
            assertEquals(encoded.itg().loss().item(), cached.itg().loss().item(), 1e-5);
        }
    }
}
