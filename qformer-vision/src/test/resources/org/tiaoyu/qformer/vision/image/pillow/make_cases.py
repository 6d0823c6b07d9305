"""Writes the decoding cases of ImageDecoderPillowTest: small images in the layouts javax.imageio and Pillow may
disagree on, and, for each, what Pillow gives for ImageOps.exif_transpose(Image.open(f)).convert("RGB") as raw
RGB bytes (F.rgb). Run with Debian 12's python3-pil (Pillow 9.4.0): python3 make_cases.py"""
import random
import struct
import zlib

from PIL import Image, ImageOps

random.seed(3)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(path, width, height, depth, colour_type, rows, extra=b""):
    """A PNG written by hand, for the layouts Pillow cannot save (16-bit colour, tRNS on 16-bit gray)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\x00" + row for row in rows))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def noise(n):
    return bytes(random.randrange(256) for _ in range(n))


W, H = 13, 9
png("rgb16.png", W, H, 16, 2, [noise(W * 6) for _ in range(H)])
png("rgba16.png", W, H, 16, 6, [noise(W * 8) for _ in range(H)])
png("la16.png", W, H, 16, 4, [noise(W * 4) for _ in range(H)])
gray16 = [bytes(random.choice([0, 0, 1, 7]) if i % 2 == 0 else random.randrange(256) for i in range(W * 2))
          for _ in range(H)]
png("gray16.png", W, H, 16, 0, gray16)
png("gray16_trns.png", W, H, 16, 0, gray16, chunk(b"tRNS", b"\x00\x05"))
png("gray2.png", 12, H, 2, 0, [noise(3) for _ in range(H)])
png("palette4_trns.png", 12, H, 4, 3, [noise(6) for _ in range(H)],
    chunk(b"PLTE", noise(16 * 3)) + chunk(b"tRNS", b"\x00\x80"))

photo = Image.new("RGB", (40, 30))
for y in range(30):
    for x in range(40):
        photo.putpixel((x, y), ((x * 7 + y) % 256, (x * y * 3) % 256, (255 - 5 * x + 2 * y) % 256))
exif = Image.Exif()
exif[0x0112] = 6
photo.save("exif6.jpg", quality=90, exif=exif.tobytes())
photo.save("progressive_444.jpg", quality=95, subsampling=0, progressive=True)
photo.convert("CMYK").save("cmyk.jpg", quality=90)
photo.convert("P", palette=Image.ADAPTIVE, colors=16).save("palette.gif")
photo.save("lossless.webp", lossless=True)
photo.putalpha(128)
photo.save("alpha.webp", lossless=True)

for name in ["rgb16.png", "rgba16.png", "la16.png", "gray16.png", "gray16_trns.png", "gray2.png",
             "palette4_trns.png", "exif6.jpg", "progressive_444.jpg", "cmyk.jpg", "palette.gif", "lossless.webp",
             "alpha.webp"]:
    image = ImageOps.exif_transpose(Image.open(name)).convert("RGB")
    with open(name + ".rgb", "wb") as f:
        f.write(struct.pack(">II", *image.size) + image.tobytes())

# A lossy WebP of a real photo (the e2e fixture's), to measure how far the Java decoder is from libwebp.
small = Image.open("../../../../../../../../../../testdata/e2e/images/photo_640x427.PIL_decoded.png")
small.convert("RGB").resize((80, 54), Image.BICUBIC).save("photo_lossy.webp", quality=80)
decoded = Image.open("photo_lossy.webp").convert("RGB")
with open("photo_lossy.webp.rgb", "wb") as f:
    f.write(struct.pack(">II", *decoded.size) + decoded.tobytes())
