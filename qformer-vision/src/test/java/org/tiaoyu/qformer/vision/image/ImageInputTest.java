package org.tiaoyu.qformer.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.Fixtures;

/** Pictures in memory become the same RGB samples, and the same pixel values, as the files they came from. */
class ImageInputTest {

    private static final Path IMAGES = Fixtures.path("e2e/images");

    @Test
    void inMemoryPicturesMatchTheirFiles() throws IOException {
        for (String name : List.of("rgba_200x300.png", "gray_257x129.png", "photo_640x427.PIL_decoded.png")) {
            Path file = IMAGES.resolve(name);
            BufferedImage picture = ImageIO.read(file.toFile());
            assertArrayEquals(ImageDecoder.read(file).rgb(), ImageInput.of(picture).decode().rgb(), name);
        }
        ImageProcessor processor = ImageProcessor.fromModelDir(Fixtures.path("e2e/caption_model"));
        Path file = IMAGES.resolve("rgba_200x300.png");
        INDArray fromFile = processor.pixelValues(List.of(file));
        INDArray fromPicture = processor.process(List.of(ImageInput.of(ImageIO.read(file.toFile()))));
        assertEquals(fromFile, fromPicture);
    }

    @Test
    void everyCommonBufferedImageTypeGivesItsRgb() {
        int[] types = {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_BGR, BufferedImage.TYPE_3BYTE_BGR,
            BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_ARGB_PRE,
            BufferedImage.TYPE_4BYTE_ABGR_PRE};
        for (int type : types) {
            BufferedImage picture = new BufferedImage(3, 2, type);
            picture.setRGB(0, 0, 0xff102030);
            picture.setRGB(2, 1, 0xffa0b0c0);
            RgbImage rgb = ImageInput.of(picture).decode();
            assertEquals(0x10, rgb.sample(0, 0, 0), "type " + type);
            assertEquals(0x20, rgb.sample(0, 0, 1), "type " + type);
            assertEquals(0x30, rgb.sample(0, 0, 2), "type " + type);
            assertEquals(0xc0, rgb.sample(2, 1, 2), "type " + type);
        }
        BufferedImage translucent = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        translucent.setRGB(0, 0, 0x20ff8000);                         // alpha dropped, not blended onto a background
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0x80, 0}, ImageInput.of(translucent).decode().rgb());
        BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(1, 0, 0, 77);
        assertArrayEquals(new byte[] {0, 0, 0, 77, 77, 77}, ImageInput.of(gray).decode().rgb());
    }
}
