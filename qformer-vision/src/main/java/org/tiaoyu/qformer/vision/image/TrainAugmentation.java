package org.tiaoyu.qformer.vision.image;

import org.tiaoyu.qformer.core.autograd.Rng;

/**
 * The training augmentation of LAVIS's {@code Blip2ImageTrainProcessor}: torchvision's {@code RandomResizedCrop(size,
 * scale=(0.5, 1.0), ratio=(3/4, 4/3), interpolation=BICUBIC)} — the crop box chosen as
 * {@code RandomResizedCrop.get_params} does (up to ten tries, then a central crop) and resized with Pillow's
 * BICUBIC, as torchvision does on a PIL image — then {@code RandomHorizontalFlip(0.5)}. The draws come from a seeded
 * {@link Rng}, so a run is reproducible (not torch's random stream: the same distribution, other numbers).
 */
public final class TrainAugmentation {

    /** A crop box: top-left corner and size, in pixels. */
    public record Box(int x, int y, int width, int height) {}

    private static final double MIN_RATIO = 3.0 / 4.0;
    private static final double MAX_RATIO = 4.0 / 3.0;

    private final int size;
    private final double minScale;
    private final double maxScale;

    /** LAVIS's defaults: scale from 0.5 to 1 of the image's area. */
    public TrainAugmentation(int size) {
        this(size, 0.5, 1.0);
    }

    public TrainAugmentation(int size, double minScale, double maxScale) {
        if (size <= 0 || !(0 < minScale && minScale <= maxScale && maxScale <= 1)) {
            throw new IllegalArgumentException("need size > 0 and 0 < min_scale <= max_scale <= 1, got " + size + ", "
                    + minScale + ", " + maxScale);
        }
        this.size = size;
        this.minScale = minScale;
        this.maxScale = maxScale;
    }

    /** A random crop resized to {@code size × size}, mirrored with probability one half. */
    public RgbImage apply(RgbImage image, Rng rng) {
        Box box = cropBox(image.width(), image.height(), rng);
        RgbImage out = BicubicResize.resize(image.crop(box.x(), box.y(), box.width(), box.height()), size, size);
        return rng.nextDouble() < 0.5 ? out.flipHorizontal() : out;
    }

    /** torchvision's {@code RandomResizedCrop.get_params} (Python's round: halves to even). */
    Box cropBox(int width, int height, Rng rng) {
        double area = (double) width * height;
        double logMin = Math.log(MIN_RATIO);
        double logMax = Math.log(MAX_RATIO);
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * (minScale + (maxScale - minScale) * rng.nextDouble());
            double aspect = Math.exp(logMin + (logMax - logMin) * rng.nextDouble());
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int y = (int) (rng.nextDouble() * (height - h + 1));
                int x = (int) (rng.nextDouble() * (width - w + 1));
                return new Box(x, y, w, h);
            }
        }
        double inRatio = (double) width / height;
        int w = width;
        int h = height;
        if (inRatio < MIN_RATIO) {
            h = (int) Math.rint(w / MIN_RATIO);
        } else if (inRatio > MAX_RATIO) {
            w = (int) Math.rint(h * MAX_RATIO);
        }
        return new Box((width - w) / 2, (height - h) / 2, w, h);
    }
}
