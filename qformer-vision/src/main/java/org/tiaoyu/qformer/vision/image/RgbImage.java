package org.tiaoyu.qformer.vision.image;

/**
 * An 8-bit RGB image as Pillow holds one in mode {@code "RGB"}: rows top to bottom, each pixel three bytes
 * {@code R, G, B} (interleaved, HWC).
 *
 * @param width  pixels per row
 * @param height rows
 * @param rgb    {@code width * height * 3} bytes; the sample of channel {@code c} at {@code (x, y)} is
 *               {@code rgb[(y * width + x) * 3 + c] & 0xff}
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
                    + 3L * width * height + " bytes, got " + rgb.length);
        }
    }

    /** The sample of channel {@code c} (0 red, 1 green, 2 blue) at column {@code x}, row {@code y}, 0 to 255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }
}
