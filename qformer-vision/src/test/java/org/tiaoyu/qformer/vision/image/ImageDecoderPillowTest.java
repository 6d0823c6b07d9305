package org.tiaoyu.qformer.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding matches Pillow's {@code exif_transpose(Image.open(f)).convert("RGB")} byte for byte on the layouts where
 * javax.imageio and Pillow could disagree. The files and Pillow's results ({@code F.rgb}: big-endian width and
 * height, then the RGB bytes) are in the test resources, written by {@code make_cases.py} with Pillow 9.4.0.
 */
class ImageDecoderPillowTest {

    @ParameterizedTest
    @ValueSource(strings = {"rgb16.png", "rgba16.png", "la16.png", "gray16.png", "gray16_trns.png", "gray2.png",
        "palette4_trns.png", "exif6.jpg", "progressive_444.jpg", "cmyk.jpg", "palette.gif"})
    void decodesAsPillow(String name) throws IOException, URISyntaxException {
        Path file = Path.of(getClass().getResource("pillow/" + name).toURI());
        byte[] expected;
        try (InputStream in = getClass().getResourceAsStream("pillow/" + name + ".rgb")) {
            expected = in.readAllBytes();
        }
        ByteBuffer size = ByteBuffer.wrap(expected, 0, 8);
        RgbImage image = ImageDecoder.read(file);
        assertEquals(size.getInt(), image.width());
        assertEquals(size.getInt(), image.height());
        assertArrayEquals(Arrays.copyOfRange(expected, 8, expected.length), image.rgb());
    }
}
