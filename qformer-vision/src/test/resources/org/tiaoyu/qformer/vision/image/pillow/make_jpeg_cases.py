"""Writes the JPEG edge cases of ImageDecoderPillowTest (YCCK, broken or mismatched ICC profiles, broken EXIF) and,
for each, what Pillow gives for ImageOps.exif_transpose(Image.open(f)).convert("RGB") as raw RGB bytes (F.rgb).
Run with Debian 12's python3-pil (Pillow 9.4.0, libjpeg-turbo 2.1.5) after
`apt-get install libturbojpeg0 libgs-common` (TurboJPEG writes the YCCK file; libgs-common has the CMYK profile):
/usr/bin/python3 make_jpeg_cases.py"""
import ctypes
import io
import random
import struct

from PIL import Image, ImageOps

random.seed(5)
W, H = 41, 29  # odd, so that chroma subsampling has partial blocks at the edges


def pattern(x, y):
    return (x * 7 + y) % 256, (x * y * 3) % 256, (255 - 5 * x + 2 * y) % 256, (x * 3 + y * 5) % 256


def ycck(path, subsampling):
    """A YCCK JPEG (Adobe APP14 transform 2): TurboJPEG compresses packed CMYK pixels to YCCK; Pillow cannot."""
    tj = ctypes.CDLL("libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    handle = ctypes.c_void_p(tj.tjInitCompress())
    pixels = bytes(v for y in range(H) for x in range(W) for v in pattern(x, y))
    out = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_ulong(0)
    tjpf_cmyk = 11
    if tj.tjCompress2(handle, pixels, W, 0, H, tjpf_cmyk, ctypes.byref(out), ctypes.byref(size), subsampling, 90, 0):
        raise RuntimeError("tjCompress2 failed")
    with open(path, "wb") as f:
        f.write(ctypes.string_at(out, size.value))
    tj.tjFree(out)
    tj.tjDestroy(handle)


def rgb_jpeg(**options):
    photo = Image.new("RGB", (W, H))
    photo.putdata([pattern(x, y)[:3] for y in range(H) for x in range(W)])
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def with_segments(jpeg, segments):
    """The JPEG with extra marker segments (marker, payload) inserted right after SOI."""
    extra = b"".join(struct.pack(">HH", marker, len(payload) + 2) + payload for marker, payload in segments)
    return jpeg[:2] + extra + jpeg[2:]


def icc_chunk(sequence, count, data):
    return 0xFFE2, b"ICC_PROFILE\0" + bytes([sequence, count]) + data


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


ycck("ycck.jpg", 2)  # TJSAMP_420
ycck("ycck_444.jpg", 0)  # TJSAMP_444


def icc(name):
    with open("/usr/share/color/icc/ghostscript/" + name, "rb") as f:
        return f.read()


srgb = icc("srgb.icc")
cmyk_profile = icc("ps_cmyk.icc")
plain = rgb_jpeg()
# The profile's first 300 bytes: its header says 2576, its tag table points past the end.
write("icc_truncated.jpg", with_segments(plain, [icc_chunk(1, 1, srgb[:300])]))
write("icc_garbage.jpg", with_segments(plain, [icc_chunk(1, 1, bytes(random.randrange(256) for _ in range(400)))]))
# Valid profiles: a CMYK, a gray and a Lab one on a three-channel (YCbCr) JPEG, an RGB one that is not sRGB, and
# a CMYK one on a CMYK JPEG. Pillow applies none of them.
write("icc_cmyk_on_rgb.jpg", rgb_jpeg(icc_profile=cmyk_profile))
write("icc_gray_on_rgb.jpg", rgb_jpeg(icc_profile=icc("sgray.icc")))
write("icc_lab_on_rgb.jpg", rgb_jpeg(icc_profile=icc("lab.icc")))
write("icc_a98.jpg", rgb_jpeg(icc_profile=icc("a98.icc")))
cmyk_photo = Image.new("CMYK", (W, H))
cmyk_photo.putdata([pattern(x, y) for y in range(H) for x in range(W)])
cmyk_photo.save("icc_cmyk.jpg", quality=90, icc_profile=cmyk_profile)
# Two chunks that claim to be 7 and 9 of 200: Pillow drops a profile whose chunk count is wrong.
write("icc_bad_sequence.jpg", with_segments(plain, [icc_chunk(7, 200, srgb[:1000]), icc_chunk(9, 200, srgb[1000:])]))
# APP1 "Exif" that is no TIFF structure, and one whose IFD0 offset points past the end of the segment.
write("exif_garbage.jpg", with_segments(plain, [(0xFFE1, b"Exif\0\0" + bytes(random.randrange(256) for _ in range(64)))]))
write("exif_bad_ifd.jpg", with_segments(plain, [(0xFFE1, b"Exif\0\0MM\0\x2a\x7f\xff\xff\xf0" + b"\0" * 8)]))

for name in ["ycck.jpg", "ycck_444.jpg", "icc_truncated.jpg", "icc_garbage.jpg", "icc_cmyk_on_rgb.jpg",
             "icc_gray_on_rgb.jpg", "icc_lab_on_rgb.jpg", "icc_a98.jpg", "icc_cmyk.jpg", "icc_bad_sequence.jpg", "exif_garbage.jpg", "exif_bad_ifd.jpg"]:
    opened = Image.open(name)
    image = ImageOps.exif_transpose(opened).convert("RGB")
    print(name, opened.mode, opened.info.get("adobe_transform"), len(opened.info.get("icc_profile") or b""))
    with open(name + ".rgb", "wb") as f:
        f.write(struct.pack(">II", *image.size) + image.tobytes())
