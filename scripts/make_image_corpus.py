#!/usr/bin/env python3
"""Generates the image-decoder test corpus and its Pillow / OpenCV reference outputs (dev-only).

Run with the reference venv:
    /root/.cache/vz-ref-venv/bin/python scripts/make_image_corpus.py
Versions used to produce the committed fixtures:
    Pillow 13.0.0 (bundled libjpeg-turbo 3.2.0, zlib 1.2.13), numpy 2.4.6, opencv-python 4.14.0 (cv2.resize),
    system libjpeg62-turbo 2.1.5 for scripts/ycck_writer.c (Pillow cannot write YCCK JPEGs).

Writes Tests/Fixtures/image/:
  corpus/<name>.{jpg,png}   small (37x23 and similar) images covering every decoder variant: JPEG baseline 4:2:0 and
                            4:4:4, progressive, grayscale, CMYK (Adobe, as Pillow writes it), YCCK; PNG gray 1/2/4/8/16
                            bit, gray+tRNS, gray+alpha 8/16, palette 1/4/8 bit with and without tRNS, RGB 8/16, RGBA 8/16,
                            Adam7-interlaced variants; EXIF orientations 1-8 in JPEG (both TIFF byte orders) and PNG eXIf.
  corpus/<name>.rgb         Pillow's decode: ImageOps.exif_transpose, then RGB; alpha composited onto the background
                            (default white 255,255,255) with Image.paste(mask=alpha) arithmetic. 16-bit gray: Pillow's own
                            I;16 -> RGB conversion clips values to 255, so the expected value is the high byte (v >> 8),
                            the same rule Pillow uses for 16-bit RGB/RGBA/LA (its ";16B" unpackers) and ours.
  corpus/manifest.json      one entry per image: file, expected, width, height (after orientation), background.
  formats/<name>.{webp,bmp}, formats/<name>.rgb, formats/manifest.json   the same for WebP (Pillow's libwebp 1.6.0:
                            lossy, lossless, lossless + alpha) and BMP (Pillow's writer: 1/8-bit palette, 8-bit gray,
                            24-bit, 32-bit; our raw writer: 4-bit palette, 16-bit 5-5-5 and 5-6-5 bit fields, 32-bit
                            bit fields, top-down rows, a BITMAPCOREHEADER file); `--formats` writes only these.
  resize/src_*.png, resize/*.rgb, resize/manifest.json   cv2.resize(..., interpolation=cv2.INTER_LINEAR) references.
  real_photos.json          for ../shared/data/images/**: Pillow-decoded size, sha256 of RGB bytes, channel means and
                            64 sample pixels (only the numbers; the photos themselves are never copied).
"""
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import cv2
import numpy as np
import PIL
from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "image")
CORPUS = os.path.join(OUT, "corpus")
RESIZE = os.path.join(OUT, "resize")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data", "images")
W, H = 37, 23
WHITE = (255, 255, 255)

assert PIL.__version__ == "13.0.0", f"fixtures were made with Pillow 13.0.0, this is {PIL.__version__}"


# ----------------------------------------------------------------------------------------------- content
def pattern(w=W, h=H):
    """An asymmetric RGB pattern (so every flip/rotation is visible): gradients, stripes and a dark corner block."""
    y, x = np.mgrid[0:h, 0:w]
    r = x * 255 // max(w - 1, 1)
    g = y * 255 // max(h - 1, 1)
    b = ((x * 7 + y * 13) % 32) * 8
    img = np.stack([r, g, b], -1).astype(np.uint8)
    img[:3, :5] = (10, 20, 200)
    return img


def alpha_pattern(w=W, h=H):
    """Alpha with fully transparent, fully opaque and intermediate values."""
    y, x = np.mgrid[0:h, 0:w]
    a = (x * 255 // (w - 1) + y * 37) % 256
    a[:, :3] = 0
    a[:, -3:] = 255
    return a.astype(np.uint8)


# ----------------------------------------------------------------------------------------- own PNG writer
def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _pack_row(samples, bit_depth):
    """samples: 1-D array of ints (all channels interleaved) -> packed bytes, MSB first."""
    if bit_depth == 16:
        return samples.astype(">u2").tobytes()
    if bit_depth == 8:
        return samples.astype(np.uint8).tobytes()
    per = 8 // bit_depth
    out = bytearray((len(samples) * bit_depth + 7) // 8)
    for i, v in enumerate(samples):
        out[i // per] |= int(v) << (8 - bit_depth * (i % per + 1))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, arr, color_type, bit_depth, interlace=False, plte=None, trns=None, filter_type=0):
    """arr: H x W x C integer samples. Writes a PNG with the given raw layout (Pillow cannot write interlaced or
    16-bit gray+alpha/RGBA files). filter_type: 0 none, 1 sub (bpp-aware), applied to every row."""
    h, w = arr.shape[:2]
    ch = arr.shape[2] if arr.ndim == 3 else 1
    bpp = max(1, ch * bit_depth // 8)

    def rows_of(a):
        raw = b""
        for row in a:
            data = _pack_row(row.reshape(-1), bit_depth)
            if filter_type == 1:
                data = bytes((data[i] - (data[i - bpp] if i >= bpp else 0)) & 0xFF for i in range(len(data)))
            raw += bytes([filter_type]) + data
        return raw

    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = arr[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += rows_of(sub)
    else:
        raw = rows_of(arr)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
    if plte is not None:
        png += _chunk(b"PLTE", bytes(np.asarray(plte, np.uint8).reshape(-1)))
    if trns is not None:
        png += _chunk(b"tRNS", trns)
    png += _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


# ----------------------------------------------------------------------------------------------- EXIF
def exif_bytes(orientation, big_endian):
    """A TIFF structure with IFD0 = Make (ASCII, out-of-line), Orientation (SHORT), XResolution (RATIONAL)."""
    e = ">" if big_endian else "<"
    make = b"VisionZoo\x00"
    n = 3
    ifd_off = 8
    data_off = ifd_off + 2 + n * 12 + 4
    entries = [
        struct.pack(e + "HHII", 0x010F, 2, len(make), data_off),
        struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "H", orientation) + b"\x00\x00",
        struct.pack(e + "HHII", 0x011A, 5, 1, data_off + len(make)),
    ]
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, ifd_off)
    tiff += struct.pack(e + "H", n) + b"".join(entries) + struct.pack(e + "I", 0)
    tiff += make + struct.pack(e + "II", 72, 1)
    return b"Exif\x00\x00" + tiff


# ---------------------------------------------------------------------------------------- Pillow reference
def pillow_rgb(path, background=WHITE):
    im = Image.open(path)
    im.load()
    im = ImageOps.exif_transpose(im)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = (np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8)   # high byte, see the header
        return np.stack([a, a, a], -1)
    has_alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    if has_alpha:
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, background)
        canvas.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
        return np.asarray(canvas)
    return np.asarray(im.convert("RGB"))


MANIFEST = []


def record(name, backgrounds=(WHITE,)):
    path = os.path.join(CORPUS, name)
    for bg in backgrounds:
        rgb = pillow_rgb(path, bg)
        stem = os.path.splitext(name)[0]
        expected = stem + (".rgb" if bg == WHITE else ".bg%d_%d_%d.rgb" % bg)
        with open(os.path.join(CORPUS, expected), "wb") as f:
            f.write(np.ascontiguousarray(rgb, np.uint8).tobytes())
        MANIFEST.append({"file": name, "expected": expected, "width": int(rgb.shape[1]), "height": int(rgb.shape[0]),
                         "background": list(bg)})


def make_corpus():
    os.makedirs(CORPUS, exist_ok=True)
    rgb = pattern()
    pil = Image.fromarray(rgb)
    alpha = alpha_pattern()

    # JPEG
    pil.save(os.path.join(CORPUS, "jpeg_baseline_420.jpg"), quality=90)
    pil.save(os.path.join(CORPUS, "jpeg_baseline_444.jpg"), quality=90, subsampling=0)
    pil.save(os.path.join(CORPUS, "jpeg_progressive.jpg"), quality=90, progressive=True)
    pil.convert("L").save(os.path.join(CORPUS, "jpeg_gray.jpg"), quality=90)
    pil.convert("L").save(os.path.join(CORPUS, "jpeg_gray_progressive.jpg"), quality=90, progressive=True)
    cmyk = Image.fromarray(np.concatenate([255 - rgb, (np.arange(W)[None, :, None] * 3 + np.zeros((H, 1, 1)))
                                           .astype(np.uint8)], -1), "CMYK")
    cmyk.save(os.path.join(CORPUS, "jpeg_cmyk.jpg"), quality=90)
    # YCCK via libjpeg (jpeg_set_colorspace(JCS_YCCK)); stored samples use the inverted Adobe convention.
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "ycck_writer")
        subprocess.check_call(["cc", os.path.join(ROOT, "scripts", "ycck_writer.c"), "-ljpeg", "-o", exe])
        raw = os.path.join(tmp, "in.cmyk")
        with open(raw, "wb") as f:
            f.write(np.asarray(cmyk).tobytes())
        subprocess.check_call([exe, str(W), str(H), "90", raw, os.path.join(CORPUS, "jpeg_ycck.jpg")])
    for o in range(1, 9):
        pil.save(os.path.join(CORPUS, "jpeg_orient_%d.jpg" % o), quality=90, exif=exif_bytes(o, big_endian=o % 2 == 1))

    # PNG through Pillow
    pil.save(os.path.join(CORPUS, "png_rgb8.png"))
    pil.convert("L").save(os.path.join(CORPUS, "png_gray8.png"))
    pil.convert("1").save(os.path.join(CORPUS, "png_gray1.png"))
    la = Image.merge("LA", [pil.convert("L"), Image.fromarray(alpha)])
    la.save(os.path.join(CORPUS, "png_graya8.png"))
    rgba = Image.merge("RGBA", [*pil.split(), Image.fromarray(alpha)])
    rgba.save(os.path.join(CORPUS, "png_rgba8.png"))
    pal = pil.quantize(colors=16)
    pal.save(os.path.join(CORPUS, "png_palette4.png"), bits=4)
    pal256 = pil.quantize(colors=200)
    pal256.save(os.path.join(CORPUS, "png_palette8.png"))
    pal.save(os.path.join(CORPUS, "png_palette4_trns.png"), bits=4,
             transparency=bytes([0, 40, 128, 200, 255, 255, 90, 10, 255, 0, 255, 128, 64, 255, 255, 30]))
    bw = Image.fromarray(((np.asarray(pil.convert("L")) > 128) * 1).astype(np.uint8), "P")
    bw.putpalette([200, 30, 30, 20, 40, 220])
    bw.save(os.path.join(CORPUS, "png_palette1_trns.png"), bits=1, transparency=0)
    pil.save(os.path.join(CORPUS, "png_orient_6.png"), exif=exif_bytes(6, big_endian=True)[6:])
    # PNG through our raw writer (layouts Pillow cannot write)
    g16 = (rgb[..., 0].astype(np.uint16) * 257 + rgb[..., 2]).astype(np.uint16)
    write_png(os.path.join(CORPUS, "png_gray16.png"), g16[..., None], 0, 16)
    write_png(os.path.join(CORPUS, "png_gray2.png"), (rgb[..., :1] >> 6), 0, 2)
    write_png(os.path.join(CORPUS, "png_gray4_interlaced.png"), (rgb[..., 1:2] >> 4), 0, 4, interlace=True)
    g8 = np.asarray(pil.convert("L"))[..., None]
    write_png(os.path.join(CORPUS, "png_gray8_trns.png"), g8, 0, 8, trns=struct.pack(">H", int(g8[5, 5, 0])))
    rgb16 = rgb.astype(np.uint16) * 257 + np.arange(W, dtype=np.uint16)[None, :, None]
    write_png(os.path.join(CORPUS, "png_rgb16.png"), rgb16, 2, 16, filter_type=1)
    a16 = alpha.astype(np.uint16) * 257
    write_png(os.path.join(CORPUS, "png_rgba16.png"), np.concatenate([rgb16, a16[..., None]], -1), 6, 16)
    write_png(os.path.join(CORPUS, "png_graya16.png"), np.stack([g16, a16], -1), 4, 16)
    write_png(os.path.join(CORPUS, "png_rgb8_interlaced.png"), rgb, 2, 8, interlace=True, filter_type=1)
    write_png(os.path.join(CORPUS, "png_rgba8_interlaced.png"), np.concatenate([rgb, alpha[..., None]], -1), 6, 8,
              interlace=True)
    plte = np.asarray(pal.getpalette()[:48]).reshape(16, 3)
    write_png(os.path.join(CORPUS, "png_palette8_interlaced_trns.png"), np.asarray(pal)[..., None], 3, 8,
              interlace=True, plte=plte, trns=bytes(range(0, 256, 32)))
    write_png(os.path.join(CORPUS, "png_rgb8_tiny_1x1.png"), rgb[:1, :1], 2, 8)

    for name in sorted(os.listdir(CORPUS)):
        if name.endswith((".jpg", ".png")):
            record(name, backgrounds=(WHITE, (0, 128, 255)) if name in ("png_rgba8.png", "png_palette4_trns.png")
                   else (WHITE,))
    with open(os.path.join(CORPUS, "manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=1)


# --------------------------------------------------------------------------------------------- formats
FORMATS = os.path.join(OUT, "formats")


def write_bmp(path, width, height, bpp, rows, palette=None, compression=0, masks=None, top_down=False, core=False):
    """A raw BMP: `rows` top to bottom, each already packed (bytes, unpadded)."""
    stride = (width * bpp + 31) // 32 * 4
    pixel_rows = [r + b"\0" * (stride - len(r)) for r in rows]
    if not top_down:
        pixel_rows = pixel_rows[::-1]
    data = b"".join(pixel_rows)
    if core:
        dib = struct.pack("<IHHHH", 12, width, height, 1, bpp)
        pal = b"".join(struct.pack("BBB", b, g, r) for r, g, b in (palette or []))
    else:
        dib = struct.pack("<IiiHHIIiiII", 40, width, -height if top_down else height, 1, bpp, compression, len(data),
                          2835, 2835, len(palette or []), 0)
        if masks:
            dib += struct.pack("<III", *masks)
        pal = b"".join(struct.pack("BBBB", b, g, r, 0) for r, g, b in (palette or []))
    offset = 14 + len(dib) + len(pal)
    head = b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset)
    with open(path, "wb") as f:
        f.write(head + dib + pal + data)


def make_formats():
    global MANIFEST, CORPUS
    os.makedirs(FORMATS, exist_ok=True)
    saved_manifest, saved_corpus = MANIFEST, CORPUS
    MANIFEST, CORPUS = [], FORMATS
    rgb = pattern()
    pil = Image.fromarray(rgb)
    alpha = alpha_pattern()
    pil.save(os.path.join(FORMATS, "webp_lossy.webp"), quality=80)
    pil.save(os.path.join(FORMATS, "webp_lossless.webp"), lossless=True)
    Image.merge("RGBA", [*pil.split(), Image.fromarray(alpha)]).save(os.path.join(FORMATS, "webp_lossless_alpha.webp"),
                                                                     lossless=True, exact=True)
    pil.save(os.path.join(FORMATS, "bmp_rgb24.bmp"))
    pil.convert("L").save(os.path.join(FORMATS, "bmp_gray8.bmp"))
    pil.quantize(colors=200).save(os.path.join(FORMATS, "bmp_palette8.bmp"))
    pil.convert("1").save(os.path.join(FORMATS, "bmp_mono1.bmp"))
    Image.merge("RGBA", [*pil.split(), Image.new("L", pil.size, 255)]).save(os.path.join(FORMATS, "bmp_rgba32.bmp"))
    # Raw layouts Pillow does not write.
    pal = pil.quantize(colors=16)
    idx = np.asarray(pal)
    plte = [tuple(pal.getpalette()[3 * i:3 * i + 3]) for i in range(16)]
    rows4 = [bytes((int(r[x]) << 4) | (int(r[x + 1]) if x + 1 < W else 0) for x in range(0, W, 2)) for r in idx]
    write_bmp(os.path.join(FORMATS, "bmp_palette4.bmp"), W, H, 4, rows4, palette=plte)
    write_bmp(os.path.join(FORMATS, "bmp_palette4_core.bmp"), W, H, 4, rows4, palette=plte, core=True)
    r5, g5, b5 = (rgb[..., 0] >> 3).astype(np.uint16), (rgb[..., 1] >> 3).astype(np.uint16), (rgb[..., 2] >> 3).astype(np.uint16)
    v555 = (r5 << 10) | (g5 << 5) | b5
    write_bmp(os.path.join(FORMATS, "bmp_rgb555.bmp"), W, H, 16, [r.astype("<u2").tobytes() for r in v555])
    g6 = (rgb[..., 1] >> 2).astype(np.uint16)
    v565 = (r5 << 11) | (g6 << 5) | b5
    write_bmp(os.path.join(FORMATS, "bmp_rgb565_bitfields.bmp"), W, H, 16, [r.astype("<u2").tobytes() for r in v565],
              compression=3, masks=(0xF800, 0x07E0, 0x001F))
    v32 = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2].astype(np.uint32)
    write_bmp(os.path.join(FORMATS, "bmp_rgb32_bitfields_topdown.bmp"), W, H, 32,
              [r.astype("<u4").tobytes() for r in v32], compression=3, masks=(0xFF0000, 0x00FF00, 0x0000FF), top_down=True)
    write_bmp(os.path.join(FORMATS, "bmp_rgb24_topdown.bmp"), W, H, 24, [r[:, ::-1].tobytes() for r in rgb], top_down=True)
    for name in sorted(os.listdir(FORMATS)):
        if name.endswith((".webp", ".bmp")):
            record(name)
    with open(os.path.join(FORMATS, "manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=1)
    MANIFEST, CORPUS = saved_manifest, saved_corpus


# ---------------------------------------------------------------------------------------------- resize
def make_resize():
    os.makedirs(RESIZE, exist_ok=True)
    rng = np.random.default_rng(7)
    sources = {
        "pattern": pattern(),
        "noise": rng.integers(0, 256, (61, 97, 3), dtype=np.uint8),
        "even": rng.integers(0, 256, (24, 40, 3), dtype=np.uint8),
    }
    cases = [("pattern", 16, 9), ("pattern", 80, 50), ("pattern", 29, 31), ("pattern", 37, 1), ("pattern", 1, 23),
             ("noise", 200, 126), ("noise", 13, 7), ("noise", 150, 61), ("noise", 97, 200), ("even", 20, 12),
             ("even", 120, 72), ("even", 33, 17)]
    entries = []
    for name, src in sources.items():
        Image.fromarray(src).save(os.path.join(RESIZE, "src_%s.png" % name))
    for name, dw, dh in cases:
        out = cv2.resize(sources[name], (dw, dh), interpolation=cv2.INTER_LINEAR)
        fname = "%s_%dx%d.rgb" % (name, dw, dh)
        with open(os.path.join(RESIZE, fname), "wb") as f:
            f.write(np.ascontiguousarray(out).tobytes())
        entries.append({"source": "src_%s.png" % name, "width": dw, "height": dh, "expected": fname})
    with open(os.path.join(RESIZE, "manifest.json"), "w") as f:
        json.dump(entries, f, indent=1)


# ------------------------------------------------------------------------------------------ real photos
def make_real():
    if not os.path.isdir(SHARED):
        print("no", SHARED, "- real_photos.json not regenerated", file=sys.stderr)
        return
    out = []
    for sub in sorted(os.listdir(SHARED)):
        for name in sorted(os.listdir(os.path.join(SHARED, sub))):
            path = os.path.join(SHARED, sub, name)
            rgb = pillow_rgb(path)
            h, w = rgb.shape[:2]
            rng = np.random.default_rng(len(name) * 1000 + w)
            samples = [[int(x), int(y), *map(int, rgb[y, x])]
                       for x, y in zip(rng.integers(0, w, 64), rng.integers(0, h, 64))]
            out.append({"file": "images/%s/%s" % (sub, name), "width": int(w), "height": int(h),
                        "sha256": hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest(),
                        "mean": [float(rgb[..., c].mean()) for c in range(3)], "samples": samples})
    with open(os.path.join(OUT, "real_photos.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    if sys.argv[1:] == ["--formats"]:
        make_formats()
        sys.exit(0)
    make_corpus()
    make_formats()
    make_resize()
    make_real()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print("wrote", OUT, "total bytes:", total)
