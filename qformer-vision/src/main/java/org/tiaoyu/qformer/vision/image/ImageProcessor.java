package org.tiaoyu.qformer.vision.image;

import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * Image files to {@code pixel_values}, as HF's {@code BlipImageProcessor} (Pillow backend,
 * {@code BlipImageProcessorPil} in transformers 5) computes them: decode to RGB ({@link ImageDecoder}), resize
 * with Pillow's BICUBIC ({@link BicubicResize}), rescale, normalise, channels first.
 *
 * <p>The arithmetic follows HF's {@code rescale} and {@code normalize} in {@code image_transforms.py}: the rescale
 * multiplies the 8-bit sample by the factor in double precision and rounds to float32; the normalisation runs in
 * float32, with the mean and standard deviation rounded to float32 first. This reproduces HF's output bit for bit.
 */
public final class ImageProcessor {
    private final ImageProcessorConfig config;

    public ImageProcessor(ImageProcessorConfig config) {
        this.config = config;
    }

    /** The processor a model directory's {@code preprocessor_config.json} describes (HF's defaults without one). */
    public static ImageProcessor fromModelDir(Path dir) {
        return new ImageProcessor(ImageProcessorConfig.fromModelDir(dir));
    }

    public ImageProcessorConfig config() {
        return config;
    }

    /**
     * Reads and processes {@code files}.
     *
     * @return {@code pixel_values}, float32 {@code [N, 3, H, W]}, in the order of {@code files}
     * @throws BadInputException for an unreadable image (the message starts with its path), or, without
     *     {@code do_resize}, for images of different sizes
     */
    public INDArray pixelValues(List<Path> files) {
        return process(files.stream().map(ImageInput::of).toList());
    }

    /** Decodes and processes {@code images} (files or pictures in memory); see {@link #pixelValues}. */
    public INDArray process(List<ImageInput> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to process");
        }
        float[][] planes = new float[images.size()][];
        int height = -1;
        int width = -1;
        for (int i = 0; i < images.size(); i++) {
            RgbImage image = resize(images.get(i).decode());
            if (i == 0) {
                height = image.height();
                width = image.width();
            } else if (image.height() != height || image.width() != width) {
                throw new BadInputException(images.get(i).name() + ": " + image.width() + "x" + image.height()
                        + " does not match the first image's " + width + "x" + height + " (do_resize is off)");
            }
            planes[i] = normalize(image);
        }
        int plane = 3 * height * width;
        float[] data = new float[images.size() * plane];
        for (int i = 0; i < planes.length; i++) {
            System.arraycopy(planes[i], 0, data, i * plane, plane);
        }
        return Nd4j.create(data, new long[] {images.size(), 3, height, width}, 'c');
    }

    /** The image resized to the configured size with Pillow's BICUBIC, or as it is without {@code do_resize}. */
    public RgbImage resize(RgbImage image) {
        return config.doResize() ? BicubicResize.resize(image, config.width(), config.height()) : image;
    }

    /**
     * Rescales and normalises an image as configured, without resizing it.
     *
     * @return float32 samples, channels first: index {@code (c * height + y) * width + x}
     */
    public float[] normalize(RgbImage image) {
        int h = image.height();
        int w = image.width();
        float[] out = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            float mean = config.imageMean().get(c).floatValue();
            float std = config.imageStd().get(c).floatValue();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int sample = image.sample(x, y, c);
                    float v = config.doRescale() ? (float) (sample * config.rescaleFactor()) : sample;
                    if (config.doNormalize()) {
                        v = (v - mean) / std;
                    }
                    out[(c * h + y) * w + x] = v;
                }
            }
        }
        return out;
    }
}
