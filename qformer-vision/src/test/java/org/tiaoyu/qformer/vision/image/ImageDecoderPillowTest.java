package org.tiaoyu.qformer.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding matches Pillow's {@code exif_transpose(Image.open(f)).convert("RGB")} byte for byte on the layouts where
 * javax.imageio and Pillow could disagree. The files and Pillow's results ({@code F.rgb}: big-endian width and
 * height, then the RGB bytes) are in the test resources, written by {@code make_cases.py} and, for the YCCK, ICC
 * and EXIF edge cases of JPEG, {@code make_jpeg_cases.py}, with Pillow 9.4.0.
 */
class ImageDecoderPillowTest {

    @ParameterizedTest
    @ValueSource(strings = {"rgb16.png", "rgba16.png", "la16.png", "gray16.png", "gray16_trns.png", "gray2.png",
        "palette4_trns.png", "exif6.jpg", "progressive_444.jpg", "cmyk.jpg", "palette.gif", "lossless.webp",
        "alpha.webp", "ycck.jpg", "ycck_444.jpg", "icc_truncated.jpg", "icc_garbage.jpg", "icc_cmyk_on_rgb.jpg",
        "icc_gray_on_rgb.jpg", "icc_lab_on_rgb.jpg", "icc_a98.jpg", "icc_cmyk.jpg", "icc_bad_sequence.jpg", "exif_garbage.jpg", "exif_bad_ifd.jpg"})
    void decodesAsPillow(String name) throws IOException, URISyntaxException {
        assertArrayEquals(pillow(name), decode(name));
    }

    /**
     * Lossy WebP decodes, but NOT as libwebp (which Pillow uses) does: the pure-Java VP8 decoder (TwelveMonkeys)
     * differs by about 3 levels on average on a photo (80 x 54, quality 80) and by up to ~90 at the hard edges of a
     * synthetic pattern. This pins the gap as measured; lossless WebP is exact (above).
     */
    @Test
    void lossyWebpIsApproximate() throws IOException, URISyntaxException {
        double[] photo = meanAndMax("photo_lossy.webp");
        assertTrue(photo[0] < 4.0, "mean difference " + photo[0] + " levels");
    }

    private double[] meanAndMax(String name) throws IOException, URISyntaxException {
        byte[] expected = pillow(name);
        byte[] actual = decode(name);
        double sum = 0;
        int worst = 0;
        for (int i = 0; i < expected.length; i++) {
            int d = Math.abs((expected[i] & 0xff) - (actual[i] & 0xff));
            sum += d;
            worst = Math.max(worst, d);
        }
        return new double[] {sum / expected.length, worst};
    }

    /** Pillow's RGB bytes for a case file (after the 8-byte size header, which is checked against ours). */
    private byte[] pillow(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("pillow/" + name + ".rgb")) {
            byte[] expected = in.readAllBytes();
            ByteBuffer size = ByteBuffer.wrap(expected, 0, 8);
            RgbImage image = ImageDecoder.read(file(name));
            assertEquals(size.getInt(), image.width());
            assertEquals(size.getInt(), image.height());
            return Arrays.copyOfRange(expected, 8, expected.length);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] decode(String name) throws URISyntaxException {
        return ImageDecoder.read(file(name)).rgb();
    }

    private Path file(String name) throws URISyntaxException {
        return Path.of(getClass().getResource("pillow/" + name).toURI());
    }
}
