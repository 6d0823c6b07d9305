package org.tiaoyu.qformer.vision.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The EXIF orientation of a JPEG (tag 0x0112 in IFD0 of its APP1 {@code Exif} segment) and the transpose that
 * undoes it, as Pillow's {@code ImageOps.exif_transpose} does: 2 mirror left-right, 3 rotate 180°, 4 mirror
 * top-bottom, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise. The tag is read
 * here from the file's bytes, with no metadata library; a missing or malformed segment means orientation 1.
 */
final class ExifOrientation {

    private static final int TAG_ORIENTATION = 0x0112;
    private static final int TYPE_SHORT = 3;

    private ExifOrientation() {
    }

    /** The orientation (1 to 8) in a JPEG file's EXIF, 1 when the file is no JPEG or has none. */
    static int ofJpeg(byte[] file) {
        try {
            return scanJpeg(ByteBuffer.wrap(file).order(ByteOrder.BIG_ENDIAN));
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            return 1; // malformed metadata: ignored, as Pillow ignores it
        }
    }

    /** Walks the marker segments up to the image data, looking for {@code APP1 "Exif\0\0"}. */
    private static int scanJpeg(ByteBuffer b) {
        if (b.limit() < 4 || (b.getShort(0) & 0xffff) != 0xffd8) {
            return 1;
        }
        int pos = 2;
        while (pos + 4 <= b.limit()) {
            if ((b.get(pos) & 0xff) != 0xff) {
                return 1;
            }
            int marker = b.get(pos + 1) & 0xff;
            if (marker == 0xff) { // fill byte
                pos++;
                continue;
            }
            if (marker == 0xda || marker == 0xd9) { // start of scan, end of image: no more metadata
                return 1;
            }
            int length = b.getShort(pos + 2) & 0xffff;
            int body = pos + 4;
            if (marker == 0xe1 && length >= 8 && b.getInt(body) == 0x45786966 && b.getShort(body + 4) == 0) {
                return fromTiff(b.slice(body + 6, length - 8));
            }
            pos += 2 + length;
        }
        return 1;
    }

    /** Reads tag 0x0112 from IFD0 of the TIFF structure that holds the EXIF data. */
    private static int fromTiff(ByteBuffer tiff) {
        int byteOrder = tiff.getShort(0) & 0xffff;
        if (byteOrder == 0x4949) {
            tiff.order(ByteOrder.LITTLE_ENDIAN);
        } else if (byteOrder != 0x4d4d) {
            return 1;
        }
        int ifd = tiff.getInt(4);
        int entries = tiff.getShort(ifd) & 0xffff;
        for (int i = 0; i < entries; i++) {
            int entry = ifd + 2 + 12 * i;
            if ((tiff.getShort(entry) & 0xffff) == TAG_ORIENTATION && (tiff.getShort(entry + 2) & 0xffff) == TYPE_SHORT) {
                int value = tiff.getShort(entry + 8) & 0xffff;
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    /** {@code image} turned upright for {@code orientation}; the same image for 1. */
    static RgbImage apply(RgbImage image, int orientation) {
        if (orientation == 1) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        boolean swap = orientation >= 5;
        int outW = swap ? h : w;
        int outH = swap ? w : h;
        byte[] out = new byte[outW * outH * 3];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                // (sx, sy): the source pixel that lands on (x, y)
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }           // FLIP_LEFT_RIGHT
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }   // ROTATE_180
                    case 4 -> { sx = x; sy = h - 1 - y; }           // FLIP_TOP_BOTTOM
                    case 5 -> { sx = y; sy = x; }                   // TRANSPOSE
                    case 6 -> { sx = y; sy = h - 1 - x; }           // ROTATE_270 (90° clockwise)
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }   // TRANSVERSE
                    case 8 -> { sx = w - 1 - y; sy = x; }           // ROTATE_90 (90° counter-clockwise)
                    default -> throw new IllegalArgumentException("EXIF orientation must be 1 to 8, got " + orientation);
                }
                System.arraycopy(image.rgb(), (sy * w + sx) * 3, out, (y * outW + x) * 3, 3);
            }
        }
        return new RgbImage(outW, outH, out);
    }
}
