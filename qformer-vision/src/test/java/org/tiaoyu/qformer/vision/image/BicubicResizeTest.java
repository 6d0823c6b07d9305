package org.tiaoyu.qformer.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tiaoyu.qformer.core.Fixtures;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsFile;

/** Pillow's BICUBIC resize, bit for bit, on the HF image-processor fixture. */
class BicubicResizeTest {

    static final Path DIR = Fixtures.path("hf/image_processor");

    @ParameterizedTest
    @ValueSource(ints = {32, 48})
    void matchesPillowExactly(int size) {
        RgbImage pattern = ImageDecoder.read(DIR.resolve("pattern_40x30.png"));
        RgbImage resized = BicubicResize.resize(pattern, size, size);
        byte[] expected = new byte[3 * size * size]; // CHW, as stored
        try (SafetensorsFile ref = SafetensorsFile.open(DIR.resolve("image_processor_reference.safetensors"))) {
            ByteBuffer raw = ref.raw("pil_" + size + "_resized_unnormalized");
            raw.get(expected);
        }
        byte[] actual = new byte[3 * size * size];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    actual[(c * size + y) * size + x] = (byte) resized.sample(x, y, c);
                }
            }
        }
        assertArrayEquals(expected, actual);
    }

    @Test
    void patternDecodesToItsFormula() {
        RgbImage pattern = ImageDecoder.read(DIR.resolve("pattern_40x30.png"));
        assertEquals(40, pattern.width());
        assertEquals(30, pattern.height());
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                assertEquals((7 * x + 3 * y) % 256, pattern.sample(x, y, 0));
                assertEquals((5 * x * y) % 256, pattern.sample(x, y, 1));
                assertEquals(Math.floorMod(255 - 5 * x + 11 * y, 256), pattern.sample(x, y, 2));
            }
        }
    }

    @Test
    void unchangedSizeIsNotResampled() {
        RgbImage image = new RgbImage(2, 1, new byte[] {1, 2, 3, 4, 5, 6});
        assertSame(image, BicubicResize.resize(image, 2, 1));
    }

    @Test
    void weightsSumToOneInFixedPoint() {
        for (int[] sizes : new int[][] {{40, 32}, {30, 48}, {640, 48}, {7, 300}}) {
            BicubicResize.Coefficients k = BicubicResize.Coefficients.of(sizes[0], sizes[1]);
            for (int i = 0; i < sizes[1]; i++) {
                int sum = 0;
                for (int j = 0; j < k.count()[i]; j++) {
                    sum += k.weights()[i * k.ksize() + j];
                }
                // each weight is rounded on its own: off by at most half a unit each
                assertEquals(1 << BicubicResize.PRECISION_BITS, sum, k.count()[i] / 2.0, "sizes " + sizes[0] + "->" + sizes[1]);
            }
        }
    }
}
