package org.tiaoyu.qformer.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/** {@code pixel_values} against HF's {@code BlipImageProcessor} (Pillow backend) on the shared fixtures. */
class ImageProcessorTest {

    static final Path HF = Fixtures.path("hf/image_processor");
    static final Path E2E = Fixtures.path("e2e");

    @TempDir
    Path dir;

    /** The largest absolute difference between two arrays of the same shape. */
    static double maxAbsDiff(INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape());
        float[] e = expected.castTo(DataType.FLOAT).data().asFloat();
        float[] a = actual.castTo(DataType.FLOAT).data().asFloat();
        double max = 0;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i] - a[i]));
        }
        return max;
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 48})
    void patternMatchesHfPixelValues(int size) {
        ImageProcessor processor = new ImageProcessor(ImageProcessorConfig.blip().withSize(size));
        INDArray actual = processor.pixelValues(List.of(HF.resolve("pattern_40x30.png")));
        try (SafetensorsFile ref = SafetensorsFile.open(HF.resolve("image_processor_reference.safetensors"))) {
            INDArray expected = ref.load("pil_" + size + "_pixel_values");
            assertEquals(DataType.FLOAT, actual.dataType());
            assertEquals(0.0, maxAbsDiff(expected, actual), 1e-6);
        }
    }

    /** The e2e caption model's processor (48 px) on the three e2e images, one row of the reference each. */
    @Test
    void e2eImagesMatchHfPixelValues() {
        ImageProcessor processor = ImageProcessor.fromModelDir(E2E.resolve("caption_model"));
        assertEquals(48, processor.config().height());
        List<String> keys = List.of("photo_640x427", "rgba_200x300", "gray_257x129");
        List<Path> files = List.of(E2E.resolve("images/photo_640x427.PIL_decoded.png"),
                E2E.resolve("images/rgba_200x300.png"), E2E.resolve("images/gray_257x129.png"));
        INDArray actual = processor.pixelValues(files);
        assertArrayEquals(new long[] {3, 3, 48, 48}, actual.shape());
        try (SafetensorsFile ref = SafetensorsFile.open(E2E.resolve("e2e_pixel_values.safetensors"))) {
            for (int i = 0; i < keys.size(); i++) {
                INDArray expected = ref.load(keys.get(i));
                INDArray row = actual.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup();
                assertEquals(0.0, maxAbsDiff(expected, row), 1e-6, keys.get(i));
            }
        }
    }

    /**
     * javax.imageio decodes JPEG with the IJG libjpeg bundled in the JDK, Pillow with libjpeg-turbo; on the e2e
     * photo (4:2:0, quality 90) both give the same samples (islow IDCT, fancy upsampling), so the JPEG itself
     * reproduces HF's pixel values.
     */
    @Test
    void jpegDecodesAsPillowDoes() {
        RgbImage jpeg = ImageDecoder.read(E2E.resolve("images/photo_640x427.jpg"));
        RgbImage pillow = ImageDecoder.read(E2E.resolve("images/photo_640x427.PIL_decoded.png"));
        assertEquals(640, jpeg.width());
        assertEquals(427, jpeg.height());
        assertArrayEquals(pillow.rgb(), jpeg.rgb());
        ImageProcessor processor = ImageProcessor.fromModelDir(E2E.resolve("caption_model"));
        INDArray fromJpeg = processor.pixelValues(List.of(E2E.resolve("images/photo_640x427.jpg")));
        try (SafetensorsFile ref = SafetensorsFile.open(E2E.resolve("e2e_pixel_values.safetensors"))) {
            assertEquals(0.0, maxAbsDiff(ref.load("photo_640x427"), fromJpeg), 1e-6);
        }
    }

    @Test
    void configWithoutFileIsHfDefault() {
        assertEquals(ImageProcessorConfig.blip(), ImageProcessorConfig.fromModelDir(dir));
        assertEquals(384, ImageProcessorConfig.blip().height());
    }

    @Test
    void badConfigNamesTheFile() throws Exception {
        Path file = dir.resolve("preprocessor_config.json");
        Files.writeString(file, "{\"size\": {\"shortest_edge\": 224}}");
        BadInputException e = assertThrows(BadInputException.class, () -> ImageProcessorConfig.fromModelDir(dir));
        assertTrue(e.getMessage().startsWith(file + ": size"), e.getMessage());
        Files.writeString(file, "{\"resample\": 2}");
        e = assertThrows(BadInputException.class, () -> ImageProcessorConfig.fromModelDir(dir));
        assertTrue(e.getMessage().startsWith(file + ": resample 2 is not supported"), e.getMessage());
        Files.writeString(file, "{\"size\": ");
        e = assertThrows(BadInputException.class, () -> ImageProcessorConfig.fromModelDir(dir));
        assertTrue(e.getMessage().startsWith(file + ": not valid JSON"), e.getMessage());
    }
}
