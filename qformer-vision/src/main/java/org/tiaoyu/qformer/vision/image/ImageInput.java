package org.tiaoyu.qformer.vision.image;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * An image to process: a file, decoded as Pillow would ({@link ImageDecoder#read}), or a picture already in memory,
 * converted to RGB by the same rules ({@link ImageDecoder#toRgb(BufferedImage)}).
 */
public sealed interface ImageInput {

    static ImageInput of(Path file) {
        return new File(file);
    }

    static ImageInput of(BufferedImage image) {
        return new Picture(image);
    }

    /** The decoded RGB samples. */
    RgbImage decode();

    /** How messages and results name it: the file's path, or the picture's size. */
    String name();

    /** An image file. */
    record File(Path path) implements ImageInput {
        @Override
        public RgbImage decode() {
            return ImageDecoder.read(path);
        }

        @Override
        public String name() {
            return path.toString();
        }
    }

    /** An image in memory. */
    record Picture(BufferedImage image) implements ImageInput {
        @Override
        public RgbImage decode() {
            return ImageDecoder.toRgb(image);
        }

        @Override
        public String name() {
            return "BufferedImage " + image.getWidth() + "x" + image.getHeight();
        }
    }
}
