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

    /** The box of {@code w × h} pixels whose top-left corner is {@code (x, y)}, as Pillow's {@code crop}. */
    public RgbImage crop(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("crop box " + w + "x" + h + " at (" + x + ", " + y + ") is outside the "
                    + width + "x" + height + " image");
        }
        byte[] out = new byte[3 * w * h];
        for (int row = 0; row < h; row++) {
            System.arraycopy(rgb, ((y + row) * width + x) * 3, out, row * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }

    /** The mirror image, left to right. */
    public RgbImage flipHorizontal() {
        byte[] out = new byte[rgb.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                System.arraycopy(rgb, (y * width + x) * 3, out, (y * width + width - 1 - x) * 3, 3);
            }
        }
        return new RgbImage(width, height, out);
    }
}
