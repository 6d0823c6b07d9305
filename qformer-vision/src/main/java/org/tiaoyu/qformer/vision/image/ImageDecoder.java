package org.tiaoyu.qformer.vision.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * Reads an image file into RGB the way HF's {@code load_image} does with Pillow:
 * {@code ImageOps.exif_transpose(Image.open(f)).convert("RGB")}. Decoding is javax.imageio's (PNG, JPEG, BMP and
 * GIF; WebP through TwelveMonkeys' pure-Java reader — lossless exact, lossy about 3 levels from libwebp on average;
 * the JDK also reads TIFF and WBMP, unchecked against Pillow); the conversion to RGB follows Pillow's rules, on the
 * decoded samples, never through Java2D's colour management (Pillow ignores embedded ICC profiles and gamma too;
 * a JPEG's profile is removed before the JDK's reader sees it, see {@link #withoutIccProfiles}):
 *
 * <ul>
 *   <li>grayscale is replicated to the three channels; palette images are expanded through the palette;</li>
 *   <li>alpha is dropped, not composited onto a background;</li>
 *   <li>16-bit PNGs: colour and grayscale-with-alpha keep the high byte (Pillow unpacks them as
 *       {@code RGB;16B}, {@code RGBA;16B}, {@code LA;16B}); plain 16-bit grayscale opens as mode {@code I;16}
 *       and {@code convert("RGB")} clips it to 255 ({@code I16_RGB} in {@code Convert.c});</li>
 *   <li>CMYK and YCCK JPEGs (Adobe APP14 transform 0 and 2; libjpeg turns YCCK into CMYK in both) are converted
 *       with Pillow's formula ({@code cmyk2rgb}), not through a colour profile;</li>
 *   <li>the EXIF orientation of a JPEG is applied ({@link ExifOrientation}); an EXIF block that cannot be parsed
 *       counts as no orientation, as in Pillow.</li>
 * </ul>
 *
 * <p>Checked byte for byte against Pillow 9.4 ({@code ImageDecoderPillowTest}) on 16-bit, 2-bit, palette, tRNS,
 * CMYK, YCCK (4:2:0 and 4:4:4), progressive and EXIF-rotated files; on JPEGs with truncated, garbage, mis-numbered,
 * gray, Lab, CMYK-on-RGB, Adobe-RGB and CMYK ICC profiles; and on JPEGs whose EXIF block is garbage or points past
 * its end. Checked against Pillow 12.3 on the shared e2e images, JPEG included.
 *
 * <p>Every problem (no such file, a directory, an empty, truncated, corrupt or unrecognised file) is a
 * {@link BadInputException} whose message starts with the file's path. A truncated JPEG is an error, as in Pillow
 * without {@code LOAD_TRUNCATED_IMAGES}.
 */
public final class ImageDecoder {

    /** Pillow refuses images above twice {@code Image.MAX_IMAGE_PIXELS} ({@code DecompressionBombError}). */
    static final long MAX_PIXELS = 2L * (1024 * 1024 * 1024 / 4 / 3);

    /** The JPEG reader's warnings about missing data: its own, libjpeg's {@code JWRN_JPEG_EOF} and
     *  {@code JWRN_HIT_MARKER}. */
    private static final List<String> TRUNCATED = List.of("Truncated File", "Premature end of JPEG file",
            "Corrupt JPEG data: premature end of data segment");

    private static final byte[] ICC_PROFILE = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);

    private ImageDecoder() {
    }

    /** Decodes {@code file} to RGB; see the class comment for the rules. */
    public static RgbImage read(Path file) {
        byte[] bytes = readBytes(file);
        RgbImage image = decode(file, bytes);
        return ExifOrientation.apply(image, ExifOrientation.ofJpeg(bytes));
    }

    /**
     * A picture already in memory converted to RGB by the same rules as a decoded file (gray replicated, palette
     * expanded, alpha dropped, 16-bit samples reduced as Pillow does). Layouts those rules do not cover (packed
     * 5-6-5 pixels, premultiplied alpha, other colour spaces) go through Java2D's own sRGB conversion.
     */
    public static RgbImage toRgb(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        int type = cm.getColorSpace().getType();
        boolean rules = !cm.isAlphaPremultiplied() && (cm instanceof IndexColorModel
                || (type == ColorSpace.TYPE_RGB || type == ColorSpace.TYPE_GRAY)
                && (cm.getComponentSize(0) == 8 || cm.getComponentSize(0) == 16)
                && IntStream.of(cm.getComponentSize()).allMatch(b -> b == cm.getComponentSize(0)));
        if (rules) {
            return toRgb(Path.of("BufferedImage"), "memory", image, cm.hasAlpha());
        }
        int width = image.getWidth();
        int height = image.getHeight();
        int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < argb.length; i++) {
            rgb[3 * i] = (byte) (argb[i] >> 16);
            rgb[3 * i + 1] = (byte) (argb[i] >> 8);
            rgb[3 * i + 2] = (byte) argb[i];
        }
        return new RgbImage(width, height, rgb);
    }

    private static byte[] readBytes(Path file) {
        if (Files.isDirectory(file)) {
            throw new BadInputException(file + ": is a directory, expected an image file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new BadInputException(file + ": permission denied", e);
        } catch (IOException | OutOfMemoryError e) { // readAllBytes: OutOfMemoryError above 2 GiB
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (bytes.length == 0) {
            throw new BadInputException(file + ": empty file, expected an image");
        }
        return bytes;
    }

    private static RgbImage decode(Path file, byte[] bytes) {
        try (ImageInputStream in = ImageIO.createImageInputStream(
                new ByteArrayInputStream(withoutIccProfiles(bytes)))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BadInputException(file
                        + ": not an image in a format we can read (PNG, JPEG, BMP, GIF, WebP)");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toUpperCase(Locale.ROOT);
            // The JPEG reader reports missing data only as a warning and fills the rest in gray; Pillow raises
            // "image file is truncated" there. Other warnings (extraneous bytes and the like) Pillow ignores, and so
            // do we.
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> {
                if (TRUNCATED.stream().anyMatch(warning::startsWith)) {
                    warnings.add(warning);
                }
            });
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new BadInputException(file + ": " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " is " + pixels + " pixels, more than Pillow's limit of " + MAX_PIXELS);
                }
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new BadInputException(file + ": damaged " + format + ": " + warnings.get(0));
                }
                return toRgb(file, format, image, hasAlphaChannel(bytes, image));
            } finally {
                reader.dispose();
            }
        } catch (BadInputException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO reports truncated or corrupt data as IIOException, and some decoders as runtime exceptions.
            throw new BadInputException(file + ": cannot decode image: " + describe(e), e);
        }
    }

    /**
     * A JPEG without its {@code APP2 "ICC_PROFILE"} segments; any other file as it is. Pillow never applies the
     * profile, but the JDK's reader does: it converts the samples through a valid RGB or Lab profile that is not
     * sRGB, and fails on a broken one or one that does not fit the image ("Invalid icc profile", "Can not access
     * specified profile", "Numbers of source Raster bands and source color space components do not match").
     * Segments are walked up to the first scan; a malformed header leaves the file unchanged, for the reader to
     * report.
     */
    static byte[] withoutIccProfiles(byte[] file) {
        if (file.length < 4 || (file[0] & 0xff) != 0xff || (file[1] & 0xff) != 0xd8) {
            return file;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(file.length);
        int copied = 0; // file[..copied) is in out, or dropped
        int pos = 2;
        while (pos + 4 <= file.length && (file[pos] & 0xff) == 0xff) {
            int marker = file[pos + 1] & 0xff;
            if (marker == 0xff) { // fill byte
                pos++;
                continue;
            }
            if (marker == 0xda || marker == 0xd9) { // start of scan, end of image: no more metadata
                break;
            }
            int end = pos + 2 + (((file[pos + 2] & 0xff) << 8) | (file[pos + 3] & 0xff));
            if (end > file.length) {
                return file;
            }
            if (marker == 0xe2 && Arrays.equals(file, pos + 4, Math.min(end, pos + 4 + ICC_PROFILE.length),
                    ICC_PROFILE, 0, ICC_PROFILE.length)) {
                out.write(file, copied, pos - copied);
                copied = end;
            }
            pos = end;
        }
        if (copied == 0) {
            return file;
        }
        out.write(file, copied, file.length - copied);
        return out.toByteArray();
    }

    private static String describe(Exception e) {
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message += ": " + cause.getMessage();
        }
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /**
     * Whether the file stores an alpha channel. For a PNG this is its IHDR colour type (4 or 6), not what the
     * decoded image has: the JDK's reader turns a {@code tRNS} chunk into an alpha channel, while Pillow keeps a
     * 16-bit grayscale image with {@code tRNS} in mode {@code I;16}.
     */
    private static boolean hasAlphaChannel(byte[] file, BufferedImage image) {
        boolean png = file.length > 25 && (file[0] & 0xff) == 0x89 && file[1] == 'P' && file[2] == 'N'
                && file[3] == 'G';
        return png ? (file[25] & 4) != 0 : image.getColorModel().hasAlpha();
    }

    /** Pillow's {@code convert("RGB")} applied to the decoded samples. */
    private static RgbImage toRgb(Path file, String format, BufferedImage image, boolean alphaChannel) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb = new byte[width * height * 3];
        int bands = raster.getNumBands();
        int[] row = new int[width * bands];
        if (cm instanceof IndexColorModel palette) {
            // Pillow modes "P" and "1", and grayscale below 8 bits: look each index up.
            for (int y = 0; y < height; y++) {
                raster.getPixels(0, y, width, 1, row);
                for (int x = 0, q = y * width * 3; x < width; x++, q += 3) {
                    int index = row[x * bands];
                    rgb[q] = (byte) palette.getRed(index);
                    rgb[q + 1] = (byte) palette.getGreen(index);
                    rgb[q + 2] = (byte) palette.getBlue(index);
                }
            }
            return new RgbImage(width, height, rgb);
        }
        int colours = cm.getNumColorComponents();
        int colourType = cm.getColorSpace().getType();
        boolean gray = colours == 1 && colourType == ColorSpace.TYPE_GRAY;
        boolean colour = colours == 3 && colourType == ColorSpace.TYPE_RGB;
        int bits = cm.getComponentSize(0);
        if (colours == 4 && colourType == ColorSpace.TYPE_CMYK && bits == 8 && format.equals("JPEG")) {
            return cmykToRgb(raster);
        }
        if (!(gray || colour) || !(bits == 8 || bits == 16)) {
            throw new BadInputException(file + ": unsupported " + format + " pixel layout (" + colours
                    + " colour channels in colour space type " + colourType + ", " + bits
                    + " bits); convert it to 8-bit RGB");
        }
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0, q = y * width * 3; x < width; x++, q += 3) {
                int p = x * bands; // the colour samples come first, alpha (if any) last
                if (gray) {
                    byte v = (byte) to8Bits(row[p], bits, !alphaChannel);
                    rgb[q] = v;
                    rgb[q + 1] = v;
                    rgb[q + 2] = v;
                } else {
                    rgb[q] = (byte) to8Bits(row[p], bits, false);
                    rgb[q + 1] = (byte) to8Bits(row[p + 1], bits, false);
                    rgb[q + 2] = (byte) to8Bits(row[p + 2], bits, false);
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /**
     * A CMYK JPEG as Pillow converts it, with {@code cmyk2rgb} in {@code Convert.c}:
     * {@code R = (255 - K) - C * (255 - K) / 255}, the division rounded as its {@code MULDIV255} does. The JDK's
     * reader has already undone the inversion of Adobe CMYK JPEGs, as Pillow's raw mode {@code CMYK;I} does.
     */
    private static RgbImage cmykToRgb(Raster raster) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] rgb = new byte[width * height * 3];
        int[] row = new int[width * 4];
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0, q = y * width * 3; x < width; x++, q += 3) {
                int nk = 255 - row[x * 4 + 3];
                for (int c = 0; c < 3; c++) {
                    int t = row[x * 4 + c] * nk + 128;
                    rgb[q + c] = (byte) Math.max(0, nk - (((t >> 8) + t) >> 8));
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /**
     * One sample reduced to 8 bits as Pillow does: the high byte of a 16-bit sample, except for plain 16-bit
     * grayscale ({@code clipGray16}), which Pillow opens as a 16-bit integer image and clips to 255.
     */
    private static int to8Bits(int sample, int bits, boolean clipGray16) {
        if (bits == 8) {
            return sample;
        }
        return clipGray16 ? Math.min(sample, 255) : sample >> 8;
    }
}
