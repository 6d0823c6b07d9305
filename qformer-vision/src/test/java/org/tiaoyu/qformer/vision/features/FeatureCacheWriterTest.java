package org.tiaoyu.qformer.vision.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.DType;
import org.tiaoyu.qformer.core.io.safetensors.HalfPrecision;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.features.FeatureCacheWriter.Settings;
import org.tiaoyu.qformer.vision.features.FeatureCacheWriter.Summary;
import org.tiaoyu.qformer.vision.image.ImageProcessor;
import org.tiaoyu.qformer.vision.image.ImageProcessorConfig;

/** {@link FeatureCacheWriter} and {@link FeatureCache} on the fixture model (32 px images). */
class FeatureCacheWriterTest {

    private static Path model;
    private static Blip2VisionTower tower;
    private static ImageProcessor processor;

    @TempDir
    Path dir;

    /** Five PNGs of different sizes, by id; then a zero-byte and a garbage file. */
    private final List<ImageSource> good = new ArrayList<>();
    private final List<ImageSource> all = new ArrayList<>();

    @BeforeAll
    static void loadTower() {
        model = Fixtures.path("hf/public/model");
        tower = Blip2VisionTower.load(model);
        processor = new ImageProcessor(ImageProcessorConfig.fromModelDir(model).withSize(tower.imageSize()));
    }

    @BeforeEach
    void writeImages() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images/sub"));
        Random random = new Random(7);
        int[][] sizes = {{32, 32}, {40, 24}, {17, 50}, {64, 64}, {33, 31}};
        for (int i = 0; i < sizes.length; i++) {
            BufferedImage image = new BufferedImage(sizes[i][0], sizes[i][1], BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, random.nextInt(1 << 24));
                }
            }
            String id = (i % 2 == 0 ? "" : "sub/") + "img" + i + ".png";
            Path file = dir.resolve("images").resolve(id);
            ImageIO.write(image, "png", file.toFile());
            good.add(new ImageSource(id, file));
        }
        all.addAll(good);
        all.add(new ImageSource("zero.png", Files.createFile(images.resolveSibling("zero.png"))));
        all.add(new ImageSource("garbage.jpg", Files.writeString(images.resolveSibling("garbage.jpg"),
                "this is not a JPEG\n")));
    }

    /** The tower's features for the good images, all in one batch: [5, N+1, D]. */
    /**
     * How far features encoded in another batch may be from the reference: the matrix products round differently
     * for other row counts (up to about 2e-6 on an AVX2 machine; less with AVX-512).
     */
    private static final double BATCHING_NOISE = 1e-5;

    private INDArray reference() {
        INDArray pixels = processor.pixelValues(good.stream().map(ImageSource::file).toList());
        return tower.encode(Tensor.constant(pixels)).lastHiddenState().data();
    }

    private Summary write(List<ImageSource> images, Path out, Settings settings) {
        return new FeatureCacheWriter(tower, processor, model, settings).write(images, out, progress -> { });
    }

    @Test
    void listsADirectorySortedByRelativePath() {
        List<ImageSource> listed = ImageSource.list(dir.resolve("images"));
        List<String> expected = all.stream().map(ImageSource::id).sorted().toList();
        assertEquals(expected, listed.stream().map(ImageSource::id).toList());
    }

    @Test
    void listFileEntriesAreRelativeToTheList() throws IOException {
        Path list = Files.writeString(dir.resolve("images/list.txt"), "img0.png\n\nsub/img1.png\nimg0.png\n");
        List<ImageSource> listed = ImageSource.list(list);
        assertEquals(List.of(new ImageSource("img0.png", dir.resolve("images/img0.png").toAbsolutePath()),
                new ImageSource("sub/img1.png", dir.resolve("images/sub/img1.png").toAbsolutePath())), listed);
    }

    @Test
    void featuresBeforePostLayernormAreTheEncodersOutputAndTheSettingIsKept() {
        Path out = dir.resolve("before-ln");
        write(good, out, new Settings(DType.F32, 8, 256, true));
        INDArray pixels = processor.pixelValues(good.stream().map(ImageSource::file).toList());
        var encoded = tower.encode(Tensor.constant(pixels));
        INDArray expected = encoded.hiddenStates().get(encoded.hiddenStates().size() - 1).data();
        try (FeatureCache cache = FeatureCache.open(out)) {
            assertTrue(cache.beforePostLayernorm());
            INDArray row = expected.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all());
            assertEquals(0.0, cache.features(good.get(1).id()).sub(row).amaxNumber().doubleValue(), BATCHING_NOISE);
            assertTrue(cache.features(good.get(1).id()).sub(encoded.lastHiddenState().data()
                    .get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all())).amaxNumber().doubleValue()
                    > 1e-3, "not the last_hidden_state");
        }
        BadInputException e = assertThrows(BadInputException.class,
                () -> write(good, out, new Settings(DType.F32, 8, 256, false)));
        assertTrue(e.getMessage().contains("holds before_post_layernorm features, not last_hidden_state"),
                e.getMessage());
    }

    @Test
    void float32FeaturesAreTheTowersAndBadImagesAreSkipped() {
        Path out = dir.resolve("cache");
        Summary summary = write(all, out, new Settings(DType.F32, 8, 256, false));
        assertEquals(new Summary(5, 2, 0, 1), summary);
        INDArray expected = reference();
        try (FeatureCache cache = FeatureCache.open(out)) {
            assertEquals(good.stream().map(ImageSource::id).toList(), cache.ids());
            assertArrayEquals(new long[] {expected.size(1), expected.size(2)}, cache.featureShape());
            for (int i = 0; i < good.size(); i++) {
                INDArray actual = cache.features(good.get(i).id());
                assertEquals(DataType.FLOAT, actual.dataType());
                INDArray row = expected.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
                assertEquals(0.0, actual.sub(row).amaxNumber().doubleValue(), BATCHING_NOISE, good.get(i).id());
            }
            assertFalse(cache.contains("zero.png"));
            assertFalse(cache.contains("garbage.jpg"));
            Map<String, String> skipped = cache.skipped();
            assertEquals(2, skipped.size());
            assertTrue(skipped.get("zero.png").contains("empty file"), skipped.toString());
            assertTrue(skipped.get("garbage.jpg").contains("not an image"), skipped.toString());
        }
        try (SafetensorsFile shard = SafetensorsFile.open(out.resolve("features-00000.safetensors"))) {
            assertEquals(5, shard.tensors().size());
            assertTrue(shard.metadata().get("ids").contains("sub/img1.png"));
        }
    }

    @Test
    void halfPrecisionFeaturesAreTheTowersRounded() {
        INDArray expected = reference();
        for (DType dtype : List.of(DType.F16, DType.BF16)) {
            Path out = dir.resolve("cache-" + dtype);
            write(good, out, new Settings(dtype, 2, 3, false));
            try (FeatureCache cache = FeatureCache.open(out)) {
                assertEquals(dtype, cache.dtype());
                for (int i = 0; i < good.size(); i++) {
                    float[] actual = cache.features(good.get(i).id()).data().asFloat();
                    float[] want = expected.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all())
                            .dup('c').data().asFloat();
                    assertEquals(want.length, actual.length);
                    for (int j = 0; j < want.length; j++) {
                        float rounded = dtype == DType.F16
                                ? HalfPrecision.halfToFloat(HalfPrecision.floatToHalf(want[j]))
                                : HalfPrecision.bfloat16ToFloat(HalfPrecision.floatToBfloat16(want[j]));
                        // The batch differs from the reference's, so a value may land on the other side of a tie.
                        double ulp = Math.abs(want[j]) * (dtype == DType.F16 ? 0x1p-10 : 0x1p-7) + BATCHING_NOISE;
                        assertEquals(rounded, actual[j], ulp, dtype + " " + good.get(i).id() + " element " + j);
                    }
                }
            }
        }
    }

    @Test
    void secondRunRecomputesNothing() throws IOException {
        Path out = dir.resolve("cache");
        assertEquals(new Summary(5, 2, 0, 3), write(all, out, new Settings(DType.F32, 2, 2, false)));
        Map<Path, FileTime> times = markShards(out);
        assertEquals(3, times.size());
        assertEquals(new Summary(0, 0, 7, 0), write(all, out, new Settings(DType.F32, 2, 2, false)));
        assertEquals(times, shardTimes(out));
        try (FeatureCache cache = FeatureCache.open(out)) {
            assertEquals(good.stream().map(ImageSource::id).toList(), cache.ids());
            assertEquals(2, cache.skipped().size());
        }
    }

    @Test
    void interruptedRunResumesInANewShard() throws IOException {
        Path out = dir.resolve("cache");
        assertEquals(new Summary(3, 0, 0, 2), write(good.subList(0, 3), out, new Settings(DType.F32, 2, 2, false)));
        Map<Path, FileTime> times = markShards(out);
        assertEquals(new Summary(2, 0, 3, 1), write(good, out, new Settings(DType.F32, 2, 2, false)));
        Map<Path, FileTime> after = shardTimes(out);
        assertEquals(3, after.size());
        times.forEach((shard, time) -> assertEquals(time, after.get(shard), shard.toString()));
        INDArray expected = reference();
        try (FeatureCache cache = FeatureCache.open(out)) {
            assertEquals(good.stream().map(ImageSource::id).toList(), cache.ids());
            assertEquals(new FeatureCache.Location("features-00002.safetensors", 0), cache.location("sub/img3.png"));
            assertEquals(new FeatureCache.Location("features-00002.safetensors", 1), cache.location("img4.png"));
            for (int i = 0; i < good.size(); i++) {
                INDArray row = expected.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
                assertEquals(0.0, cache.features(good.get(i).id()).sub(row).amaxNumber().doubleValue(),
                        BATCHING_NOISE);
            }
        }
    }

    @Test
    void outputThatIsAFileOrAnotherDtypeIsBadInput() throws IOException {
        Path file = Files.writeString(dir.resolve("cache.txt"), "x");
        BadInputException e = assertThrows(BadInputException.class,
                () -> write(good, file, Settings.defaults()));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        Path out = dir.resolve("cache");
        write(good.subList(0, 1), out, Settings.defaults());
        e = assertThrows(BadInputException.class, () -> write(good, out, new Settings(DType.BF16, 8, 256, false)));
        assertTrue(e.getMessage().startsWith(out.toString()), e.getMessage());
    }

    @Test
    void settingsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new Settings(DType.F64, 8, 256, false));
        assertThrows(IllegalArgumentException.class, () -> new Settings(DType.F32, 0, 256, false));
        assertThrows(IllegalArgumentException.class, () -> new Settings(DType.F32, 8, 0, false));
    }

    /** Sets every shard's modification time far into the past, so that a rewrite would show. */
    private static Map<Path, FileTime> markShards(Path out) throws IOException {
        FileTime old = FileTime.fromMillis(946_684_800_000L); // 2000-01-01
        for (Path shard : shardTimes(out).keySet()) {
            Files.setLastModifiedTime(shard, old);
        }
        return shardTimes(out);
    }

    private static Map<Path, FileTime> shardTimes(Path out) throws IOException {
        Map<Path, FileTime> times = new HashMap<>();
        try (var files = Files.list(out)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("features-")).toList()) {
                times.put(f, Files.getLastModifiedTime(f));
            }
        }
        return times;
    }
}
