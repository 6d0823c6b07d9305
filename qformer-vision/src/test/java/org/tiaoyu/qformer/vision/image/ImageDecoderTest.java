package org.tiaoyu.qformer.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.Fixtures;

/** Decoding to RGB with Pillow's {@code convert("RGB")} rules, and the bad-input policy. */
class ImageDecoderTest {

    static final Path IMAGES = Fixtures.path("e2e/images");

    @TempDir
    Path dir;

    private Path write(String name, BufferedImage image, String format) throws IOException {
        Path file = dir.resolve(name);
        assertTrue(ImageIO.write(image, format, file.toFile()), "no " + format + " writer for " + image);
        return file;
    }

    private static void assertBad(Path file, String reason) {
        BadInputException e = assertThrows(BadInputException.class, () -> ImageDecoder.read(file));
        assertTrue(e.getMessage().startsWith(file + ": " + reason), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void grayscaleIsReplicated() {
        RgbImage gray = ImageDecoder.read(IMAGES.resolve("gray_257x129.png"));
        assertEquals(257, gray.width());
        assertEquals(129, gray.height());
        for (int i = 0; i < gray.rgb().length; i += 3) {
            assertEquals(gray.rgb()[i], gray.rgb()[i + 1]);
            assertEquals(gray.rgb()[i], gray.rgb()[i + 2]);
        }
    }

    @Test
    void alphaIsDroppedNotComposited() throws IOException {
        BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x00c86432); // fully transparent (200, 100, 50)
        rgba.setRGB(1, 0, 0x800a141e); // half transparent (10, 20, 30)
        RgbImage rgb = ImageDecoder.read(write("rgba.png", rgba, "png"));
        assertArrayEquals(new byte[] {(byte) 200, 100, 50, 10, 20, 30}, rgb.rgb());
    }

    @Test
    void paletteIsExpanded() throws IOException {
        byte[] r = {0, (byte) 255, 12};
        byte[] g = {0, 0, 34};
        byte[] b = {0, 0, 56};
        BufferedImage p = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 3, r, g, b, 1)); // index 1 transparent: still its palette colour
        p.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {2, 1, 0});
        for (String format : new String[] {"png", "gif"}) {
            RgbImage rgb = ImageDecoder.read(write("palette." + format, p, format));
            assertArrayEquals(new byte[] {12, 34, 56, (byte) 255, 0, 0, 0, 0, 0}, rgb.rgb(), format);
        }
    }

    @Test
    void bmpKeepsChannelOrder() throws IOException {
        BufferedImage bgr = new BufferedImage(2, 1, BufferedImage.TYPE_3BYTE_BGR);
        bgr.setRGB(0, 0, 0x0a141e);
        bgr.setRGB(1, 0, 0xff8001);
        RgbImage rgb = ImageDecoder.read(write("bgr.bmp", bgr, "bmp"));
        assertArrayEquals(new byte[] {10, 20, 30, (byte) 255, (byte) 128, 1}, rgb.rgb());
    }

    @Test
    void sixteenBitPngsAreReducedAsPillowDoes() throws IOException {
        // Colour: the high byte (Pillow's RGB;16B unpacker).
        ComponentColorModel rgbModel = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false,
                false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = rgbModel.createCompatibleWritableRaster(1, 1);
        raster.setPixel(0, 0, new int[] {0x12ff, 0xab00, 0x00ff});
        RgbImage rgb = ImageDecoder.read(write("rgb16.png", new BufferedImage(rgbModel, raster, false, null), "png"));
        assertArrayEquals(new byte[] {0x12, (byte) 0xab, 0}, rgb.rgb());
        // Plain grayscale: mode I;16, clipped to 255 by convert("RGB") (I16_RGB).
        BufferedImage gray = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        gray.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {7, 255, 0x1234});
        RgbImage g = ImageDecoder.read(write("gray16.png", gray, "png"));
        assertArrayEquals(new byte[] {7, 7, 7, (byte) 255, (byte) 255, (byte) 255, (byte) 255, (byte) 255,
            (byte) 255}, g.rgb());
        // Grayscale with alpha: the high byte (LA;16B), alpha dropped.
        ComponentColorModel grayAlpha = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true,
                false, Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
        WritableRaster la = grayAlpha.createCompatibleWritableRaster(1, 1);
        la.setPixel(0, 0, new int[] {0x1234, 0});
        RgbImage ga = ImageDecoder.read(write("la16.png", new BufferedImage(grayAlpha, la, false, null), "png"));
        assertArrayEquals(new byte[] {0x12, 0x12, 0x12}, ga.rgb());
    }

    @Test
    void sixteenBitGrayWithTrnsIsStillClipped() throws IOException {
        // IHDR: 3x1, 16 bits, colour type 0; tRNS marks 0x1234 transparent; one scanline, filter 0.
        byte[] ihdr = ByteBuffer.allocate(13).putInt(3).putInt(1).put((byte) 16).put((byte) 0).array();
        byte[] trns = {0x12, 0x34};
        byte[] scanline = {0, 0, 7, 0, (byte) 255, 0x12, 0x34};
        Path file = Files.write(dir.resolve("gray16-trns.png"), png(ihdr, trns, scanline));
        assertArrayEquals(new byte[] {7, 7, 7, (byte) 255, (byte) 255, (byte) 255, (byte) 255, (byte) 255,
            (byte) 255}, ImageDecoder.read(file).rgb());
    }

    /** A PNG file with the given IHDR, tRNS and uncompressed scanlines. */
    private static byte[] png(byte[] ihdr, byte[] trns, byte[] scanlines) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (var z = new java.util.zip.DeflaterOutputStream(compressed)) {
            z.write(scanlines);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        for (Object[] chunk : new Object[][] {{"IHDR", ihdr}, {"tRNS", trns}, {"IDAT", compressed.toByteArray()},
            {"IEND", new byte[0]}}) {
            byte[] type = ((String) chunk[0]).getBytes(StandardCharsets.US_ASCII);
            byte[] data = (byte[]) chunk[1];
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(type);
            crc.update(data);
            out.write(ByteBuffer.allocate(4).putInt(data.length).array());
            out.write(type);
            out.write(data);
            out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        }
        return out.toByteArray();
    }

    @Test
    void exifOrientationOfJpegIsApplied() throws IOException {
        // 16x8: left half black, right half white, so the orientation is visible through JPEG's loss.
        BufferedImage image = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 8; x < 16; x++) {
                image.setRGB(x, y, 0xffffff);
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", jpeg);
        RgbImage upright = ImageDecoder.read(Files.write(dir.resolve("plain.jpg"), jpeg.toByteArray()));
        for (int orientation = 1; orientation <= 8; orientation++) {
            Path file = Files.write(dir.resolve("o" + orientation + ".jpg"), withExif(jpeg.toByteArray(), orientation));
            assertEquals(orientation, ExifOrientation.ofJpeg(Files.readAllBytes(file)));
            RgbImage turned = ImageDecoder.read(file);
            assertEquals(orientation >= 5 ? 8 : 16, turned.width(), "orientation " + orientation);
            assertArrayEquals(ExifOrientation.apply(upright, orientation).rgb(), turned.rgb());
        }
        // 6 turns the image 90 degrees clockwise: the white right half ends at the bottom.
        RgbImage six = ImageDecoder.read(dir.resolve("o6.jpg"));
        assertTrue(six.sample(4, 0, 0) < 30 && six.sample(4, 15, 0) > 225);
        // 8 turns it counter-clockwise: white on top.
        RgbImage eight = ImageDecoder.read(dir.resolve("o8.jpg"));
        assertTrue(eight.sample(4, 0, 0) > 225 && eight.sample(4, 15, 0) < 30);
    }

    /** {@code jpeg} with an APP1 Exif segment (big-endian TIFF, one IFD0 entry) right after SOI. */
    private static byte[] withExif(byte[] jpeg, int orientation) {
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4);
        tiff.put(new byte[] {'M', 'M', 0, 42}).putInt(8);
        tiff.putShort((short) 1).putShort((short) 0x0112).putShort((short) 3).putInt(1)
                .putShort((short) orientation).putShort((short) 0).putInt(0);
        ByteBuffer app1 = ByteBuffer.allocate(4 + 6 + tiff.capacity());
        app1.putShort((short) 0xffe1).putShort((short) (2 + 6 + tiff.capacity()))
                .put(new byte[] {'E', 'x', 'i', 'f', 0, 0}).put(tiff.array());
        ByteBuffer out = ByteBuffer.allocate(jpeg.length + app1.capacity());
        out.put(jpeg, 0, 2).put(app1.array()).put(jpeg, 2, jpeg.length - 2);
        return out.array();
    }

    @Test
    void badFilesAreOneLineErrorsNamingTheFile() throws IOException {
        assertBad(dir.resolve("missing.png"), "no such file");
        assertBad(dir, "is a directory");
        assertBad(Files.createFile(dir.resolve("empty.png")), "empty file");
        assertBad(Files.writeString(dir.resolve("text.png"), "hello, not a picture\n"), "not an image");
        byte[] png = Files.readAllBytes(IMAGES.resolve("rgba_200x300.png"));
        assertBad(Files.write(dir.resolve("truncated.png"), Arrays.copyOf(png, png.length / 2)),
                "cannot decode image");
        byte[] jpeg = Files.readAllBytes(IMAGES.resolve("photo_640x427.jpg"));
        assertBad(Files.write(dir.resolve("truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2)), "damaged JPEG");
        assertBad(Files.write(dir.resolve("header-only.jpg"), Arrays.copyOf(jpeg, 300)), "");
    }

    /** Only APP2 "ICC_PROFILE" segments before the first scan go; the scan and everything else stay. */
    @Test
    void jpegIccProfilesAreRemovedBeforeDecoding() {
        byte[] soi = {(byte) 0xff, (byte) 0xd8};
        byte[] icc = segment(0xe2, "ICC_PROFILE\0\1\1profile");
        byte[] flashpix = segment(0xe2, "FPXR\0data");
        byte[] scan = segment(0xda, "ICC_PROFILE\0 in the scan");
        byte[] jpeg = concat(soi, icc, flashpix, icc, scan);
        assertArrayEquals(concat(soi, flashpix, scan), ImageDecoder.withoutIccProfiles(jpeg));
        byte[] clean = concat(soi, flashpix, scan);
        assertSame(clean, ImageDecoder.withoutIccProfiles(clean), "a JPEG without a profile is not copied");
        byte[] overlong = concat(soi, icc, new byte[] {(byte) 0xff, (byte) 0xe1, 0x7f, 0x00});
        assertSame(overlong, ImageDecoder.withoutIccProfiles(overlong), "a malformed JPEG is left to the reader");
    }

    private static byte[] segment(int marker, String payload) {
        byte[] body = payload.getBytes(StandardCharsets.ISO_8859_1);
        return concat(new byte[] {(byte) 0xff, (byte) marker, (byte) ((body.length + 2) >> 8),
            (byte) (body.length + 2)}, body);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
