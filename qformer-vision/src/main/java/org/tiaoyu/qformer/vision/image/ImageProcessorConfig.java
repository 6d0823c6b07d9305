package org.tiaoyu.qformer.vision.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * The settings of HF's {@code BlipImageProcessor} (the image half of {@code Blip2Processor}), as a model
 * directory's {@code preprocessor_config.json} gives them. Field names in the Javadoc are HF's.
 *
 * @param height        {@code size.height}: the output height
 * @param width         {@code size.width}: the output width
 * @param doResize      {@code do_resize}: resize to {@code height x width}; without it every image must already
 *                      have one common size
 * @param resample      {@code resample}: Pillow's filter number; only 3 (BICUBIC) is implemented
 * @param doRescale     {@code do_rescale}: multiply by {@code rescaleFactor}
 * @param rescaleFactor {@code rescale_factor}, 1/255 for BLIP
 * @param doNormalize   {@code do_normalize}: subtract {@code imageMean}, divide by {@code imageStd}, per channel
 * @param imageMean     {@code image_mean}, three values (OpenAI CLIP's for BLIP)
 * @param imageStd      {@code image_std}, three positive values
 * @param doConvertRgb  {@code do_convert_rgb}; {@link ImageDecoder} always yields RGB, so this changes nothing for
 *                      RGB files; HF with {@code false} would not accept grayscale or RGBA ones
 */
public record ImageProcessorConfig(int height, int width, boolean doResize, int resample, boolean doRescale,
        double rescaleFactor, boolean doNormalize, List<Double> imageMean, List<Double> imageStd,
        boolean doConvertRgb) {

    /** Pillow's {@code Image.BICUBIC} (HF's {@code PILImageResampling.BICUBIC}). */
    public static final int BICUBIC = 3;

    /** OpenAI CLIP's per-channel mean and standard deviation ({@code OPENAI_CLIP_MEAN}, {@code OPENAI_CLIP_STD}). */
    public static final List<Double> CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
    public static final List<Double> CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);

    private static final String FILE_NAME = "preprocessor_config.json";

    public ImageProcessorConfig {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("size must be positive, got height " + height + ", width " + width);
        }
        if (resample != BICUBIC) {
            throw new IllegalArgumentException("resample " + resample + " is not supported (only 3, BICUBIC)");
        }
        if (!(rescaleFactor > 0) || Double.isInfinite(rescaleFactor)) {
            throw new IllegalArgumentException("rescale_factor must be positive and finite, got " + rescaleFactor);
        }
        imageMean = List.copyOf(imageMean);
        imageStd = List.copyOf(imageStd);
        if (imageMean.size() != 3 || imageStd.size() != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values each, got "
                    + imageMean + " and " + imageStd);
        }
        for (double s : imageStd) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("image_std must be positive and finite, got " + imageStd);
            }
        }
    }

    /** HF's {@code BlipImageProcessor} defaults: 384x384, BICUBIC, x/255, CLIP mean and std. */
    public static ImageProcessorConfig blip() {
        return new ImageProcessorConfig(384, 384, true, BICUBIC, true, 1 / 255.0, true, CLIP_MEAN, CLIP_STD, true);
    }

    /** This config with output size {@code size x size}. */
    public ImageProcessorConfig withSize(int size) {
        return new ImageProcessorConfig(size, size, doResize, resample, doRescale, rescaleFactor, doNormalize,
                imageMean, imageStd, doConvertRgb);
    }

    /**
     * The config of a model directory: its {@code preprocessor_config.json} over {@link #blip()}'s defaults, or the
     * defaults when it has none.
     *
     * @throws BadInputException if the file is unreadable, not JSON, or holds an invalid value; the message starts
     *     with the file's path
     */
    public static ImageProcessorConfig fromModelDir(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        return Files.exists(file) ? read(file) : blip();
    }

    /** Reads a {@code preprocessor_config.json}; fields it lacks take {@link #blip()}'s values. */
    public static ImageProcessorConfig read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": not valid JSON: " + e.getOriginalMessage().lines().findFirst()
                    .orElse(""), e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(file + ": expected a JSON object");
        }
        ImageProcessorConfig d = blip();
        try {
            JsonNode size = root.path("size");
            int height = d.height;
            int width = d.width;
            if (size.isInt()) { // older configs: one number for a square
                height = width = size.intValue();
            } else if (size.isObject()) {
                if (!size.has("height") || !size.has("width")) {
                    throw new IllegalArgumentException("size " + size + " is not supported (need height and width)");
                }
                height = integer(size, "height");
                width = integer(size, "width");
            } else if (!size.isMissingNode()) {
                throw new IllegalArgumentException("size must be an object {height, width}, got " + size);
            }
            return new ImageProcessorConfig(height, width,
                    bool(root, "do_resize", d.doResize),
                    root.has("resample") ? integer(root, "resample") : d.resample,
                    bool(root, "do_rescale", d.doRescale),
                    root.has("rescale_factor") ? number(root.get("rescale_factor"), "rescale_factor") : d.rescaleFactor,
                    bool(root, "do_normalize", d.doNormalize),
                    numbers(root, "image_mean", d.imageMean),
                    numbers(root, "image_std", d.imageStd),
                    bool(root, "do_convert_rgb", d.doConvertRgb));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": " + e.getMessage(), e);
        }
    }

    private static int integer(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(field + " must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static boolean bool(JsonNode node, String field, boolean fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    private static double number(JsonNode v, String field) {
        if (!v.isNumber()) {
            throw new IllegalArgumentException(field + " must be a number, got " + v);
        }
        return v.doubleValue();
    }

    /** A list of three numbers; HF also accepts one number for all channels. */
    private static List<Double> numbers(JsonNode node, String field, List<Double> fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (v.isNumber()) {
            return List.of(v.doubleValue(), v.doubleValue(), v.doubleValue());
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(field + " must be a list of numbers, got " + v);
        }
        List<Double> values = new ArrayList<>();
        v.forEach(x -> values.add(number(x, field)));
        return values;
    }
}
