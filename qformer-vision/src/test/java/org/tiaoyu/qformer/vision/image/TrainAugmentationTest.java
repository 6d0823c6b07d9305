package org.tiaoyu.qformer.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.autograd.Rng;

class TrainAugmentationTest {

    private static RgbImage pattern(int width, int height) {
        byte[] rgb = new byte[3 * width * height];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7 + i / 3);
        }
        return new RgbImage(width, height, rgb);
    }

    @Test
    void cropBoxesFollowTorchvisionsRules() {
        var augmentation = new TrainAugmentation(32);
        int fallbacks = 0;
        for (int seed = 0; seed < 500; seed++) {
            var box = augmentation.cropBox(640, 427, new Rng(seed));
            assertTrue(box.x() >= 0 && box.y() >= 0 && box.x() + box.width() <= 640 && box.y() + box.height() <= 427,
                    box.toString());
            double scale = (double) box.width() * box.height() / (640.0 * 427);
            double ratio = (double) box.width() / box.height();
            if (scale < 0.49 || ratio < 0.74 || ratio > 1.34) {
                fallbacks++; // the central crop after ten misses
            }
        }
        assertTrue(fallbacks < 25, "most draws land inside scale [0.5, 1] and ratio [3/4, 4/3]: " + fallbacks);
    }

    @Test
    void theFallbackIsTheCentralCropOfAllowedRatio() {
        var augmentation = new TrainAugmentation(32, 1.0, 1.0); // a full-area crop never fits a 10:1 strip
        var box = augmentation.cropBox(100, 10, new Rng(1));
        assertEquals(new TrainAugmentation.Box(43, 0, 13, 10), box, "h = 10, w = round(10 * 4/3), centred");
    }

    @Test
    void reproducibleSizedAndFlippedHalfTheTime() {
        var augmentation = new TrainAugmentation(24);
        RgbImage image = pattern(60, 40);
        RgbImage a = augmentation.apply(image, new Rng(9));
        assertEquals(24, a.width());
        assertEquals(24, a.height());
        assertArrayEquals(a.rgb(), augmentation.apply(image, new Rng(9)).rgb(), "same seed, same image");
        int flipped = 0;
        var noCrop = new TrainAugmentation(60, 1.0, 1.0);
        RgbImage square = pattern(60, 60);
        for (int seed = 0; seed < 200; seed++) {
            RgbImage out = noCrop.apply(square, new Rng(seed));
            if (!java.util.Arrays.equals(out.rgb(), BicubicResize.resize(square, 60, 60).rgb())) {
                flipped++;
                assertArrayEquals(BicubicResize.resize(square, 60, 60).flipHorizontal().rgb(), out.rgb());
            }
        }
        assertTrue(flipped > 70 && flipped < 130, "flipped " + flipped + " of 200");
    }

    @Test
    void cropAndFlipAreExact() {
        RgbImage image = pattern(5, 4);
        RgbImage crop = image.crop(1, 2, 3, 2);
        assertEquals(image.sample(1, 2, 0), crop.sample(0, 0, 0));
        assertEquals(image.sample(3, 3, 2), crop.sample(2, 1, 2));
        assertEquals(image.sample(0, 1, 1), image.flipHorizontal().sample(4, 1, 1));
        assertArrayEquals(image.rgb(), image.flipHorizontal().flipHorizontal().rgb());
    }
}
