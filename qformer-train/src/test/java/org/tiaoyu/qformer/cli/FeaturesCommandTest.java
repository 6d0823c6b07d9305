package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.DType;
import org.tiaoyu.qformer.vision.Blip2VisionTower;
import org.tiaoyu.qformer.vision.features.FeatureCache;
import org.tiaoyu.qformer.vision.image.ImageProcessor;
import org.tiaoyu.qformer.vision.image.ImageProcessorConfig;

/** {@code qformer features}: a cache from a directory or a list file, resuming, and the bad-input policy. */
class FeaturesCommandTest {

    private static final Path MODEL = Fixtures.path("hf/public/model");

    @TempDir
    Path dir;

    private Path images;

    @BeforeEach
    void writeImages() throws IOException {
        images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 3; i++) {
            BufferedImage image = new BufferedImage(20 + 10 * i, 32, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, (x * 37 + y * 101 + i * 53) * 2654435 & 0xFFFFFF);
                }
            }
            ImageIO.write(image, "png", images.resolve("img" + i + ".png").toFile());
        }
        Files.createFile(images.resolve("zero.png"));
        Files.writeString(images.resolve("garbage.png"), "not a PNG\n");
        Files.writeString(images.resolve("notes.txt"), "not an image, and not listed\n");
    }

    private int run(StringWriter out, StringWriter err, String... args) {
        return QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), args);
    }

    @Test
    void cachesADirectoryAndResumes() {
        Path cache = dir.resolve("cache");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = run(out, err, "features", "--model", MODEL.toString(), "--images", images.toString(),
                "--out", cache.toString(), "--shard-size", "2", "--batch-size", "2");
        assertEquals(0, status, err.toString());
        assertTrue(out.toString().startsWith("3 images encoded, 2 skipped, 0 already in the cache, 2 shards"),
                out.toString());
        Blip2VisionTower tower = Blip2VisionTower.load(MODEL);
        ImageProcessor processor = new ImageProcessor(ImageProcessorConfig.fromModelDir(MODEL).withSize(32));
        try (FeatureCache features = FeatureCache.open(cache)) {
            assertEquals(List.of("img0.png", "img1.png", "img2.png"), features.ids());
            assertEquals(List.of("garbage.png", "zero.png"), features.skipped().keySet().stream().sorted().toList());
            for (String id : features.ids()) {
                INDArray expected = tower.encode(Tensor.constant(processor.pixelValues(List.of(images.resolve(id)))))
                        .lastHiddenState().data();
                INDArray actual = features.features(id);
                assertEquals(0.0, actual.sub(expected.reshape(actual.shape())).amaxNumber().doubleValue(), 1e-5, id);
            }
        }
        out = new StringWriter();
        status = run(out, err, "features", "--model", MODEL.toString(), "--images", images.toString(),
                "--out", cache.toString(), "--shard-size", "2");
        assertEquals(0, status, err.toString());
        assertTrue(out.toString().startsWith("0 images encoded, 0 skipped, 5 already in the cache, 0 shards"),
                out.toString());
    }

    @Test
    void listFileAndHalfPrecision() throws IOException {
        Path list = Files.writeString(images.resolve("list.txt"), "img2.png\nimg0.png\nmissing.png\n");
        Path cache = dir.resolve("cache");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = run(out, err, "features", "--model", MODEL.toString(), "--images", list.toString(),
                "--out", cache.toString(), "--dtype", "bf16");
        assertEquals(0, status, err.toString());
        try (FeatureCache features = FeatureCache.open(cache)) {
            assertEquals(DType.BF16, features.dtype());
            assertEquals(List.of("img2.png", "img0.png"), features.ids());
            assertTrue(features.skipped().get("missing.png").contains("no such file"), features.skipped().toString());
        }
    }

    @Test
    void badInputIsOneErrorLine() throws IOException {
        Path file = Files.writeString(dir.resolve("cache.txt"), "x");
        String[][] cases = {
            {"--model", dir.resolve("no-model").toString(), "--images", images.toString(), "--out",
                dir.resolve("c1").toString()},
            {"--model", MODEL.toString(), "--images", images.toString(), "--out", file.toString()},
            {"--model", MODEL.toString(), "--images", dir.resolve("nothing").toString(), "--out",
                dir.resolve("c2").toString()},
            {"--model", MODEL.toString(), "--images", images.toString(), "--out", dir.resolve("c3").toString(),
                "--dtype", "f64"},
            {"--model", MODEL.toString(), "--images", images.toString(), "--out", dir.resolve("c4").toString(),
                "--shard-size", "0"},
        };
        String[] starts = {"error: " + dir.resolve("no-model"), "error: " + file,
            "error: " + dir.resolve("nothing"), "error: ", "error: "};
        for (int i = 0; i < cases.length; i++) {
            StringWriter err = new StringWriter();
            String[] args = new String[cases[i].length + 1];
            args[0] = "features";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            assertEquals(2, run(new StringWriter(), err, args), err.toString());
            List<String> lines = err.toString().lines().toList();
            assertEquals(1, lines.size(), err.toString());
            assertTrue(lines.get(0).startsWith(starts[i]), lines.get(0));
        }
        for (String name : List.of("c1", "c2", "c3", "c4")) {
            assertFalse(Files.exists(dir.resolve(name)), name);
        }
    }

    /** An empty folder, a folder without images or a list naming none is bad input, not an empty cache. */
    @Test
    void noImagesIsBadInput() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path noImages = Files.createDirectories(dir.resolve("no-images/sub"));
        Files.writeString(noImages.resolve("readme.txt"), "no images here\n");
        Path list = Files.writeString(dir.resolve("blank-list.txt"), "\n  \n");
        String[][] cases = {{empty.toString(), "no images in the folder"},
            {noImages.getParent().toString(), "no images in the folder"},
            {list.toString(), "the list file names no images"}};
        for (String[] c : cases) {
            Path cache = dir.resolve("cache");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int status = run(out, err, "features", "--model", MODEL.toString(), "--images", c[0], "--out",
                    cache.toString());
            assertEquals(2, status, err.toString());
            List<String> lines = err.toString().lines().toList();
            assertEquals(1, lines.size(), err.toString());
            assertTrue(lines.get(0).startsWith("error: " + c[0] + ": " + c[1]), lines.get(0));
            assertEquals("", out.toString());
            assertFalse(Files.exists(cache), "a cache was written for " + c[0]);
        }
    }

    @Test
    void helpNamesEveryFormatADirectoryIsSearchedFor() {
        StringWriter out = new StringWriter();
        assertEquals(0, run(out, new StringWriter(), "features", "--help"));
        String help = out.toString().replaceAll("\\s+", " ");
        assertTrue(help.contains("PNG, JPEG, BMP, GIF and WebP files"), help);
    }
}
