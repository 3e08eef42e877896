"""Generate image fixtures that pin down Pillow's ``Image.open(f).convert("RGB")``.

torchvision's ImageFolder loader (``torchvision.datasets.folder.pil_loader``) does
``Image.open(f).convert("RGB")``.  saev-tfjs decodes images with sharp instead, and
must reproduce exactly what Pillow yields, including for unusual files (greyscale,
1-bit, palette with/without transparency, alpha, 16-bit, CMYK, JPEG, BMP, WebP,
TIFF, embedded ICC profile, EXIF orientation).

This script writes tiny (7x5 pixel) images with deterministic content into
``test/fixtures/rgb-modes/`` and records, in ``expected.json``, for each file:

    {"file", "pil_mode_on_open", "width", "height", "rgb_hex", "note"}

where ``rgb_hex`` is the hex string of the H*W*3 uint8 bytes of
``Image.open(path).convert("RGB")`` in row-major RGB order.  The Pillow / numpy /
codec-library versions used are recorded at the top of ``expected.json``.

16-bit PNGs (RGB, RGBA, grey+alpha) are written by a minimal hand-rolled PNG
encoder below (zlib level 0 "stored" blocks, so the bytes do not depend on the
zlib build); Pillow writes the 16-bit greyscale (mode I;16) one itself.

Run:  python3 scripts/make-rgb-fixtures.py     (needs: pip install pillow numpy)
No network access; running twice gives byte-identical files with the same
library versions.
"""

import hashlib
import io
import json
import pathlib
import struct
import warnings
import zlib

import numpy as np
import PIL
from PIL import Image, features

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "test" / "fixtures" / "rgb-modes"
W, H = 7, 5


# --------------------------------------------------------------------------
# Minimal PNG encoder (for 16-bit images).
# --------------------------------------------------------------------------
def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png16(arr: np.ndarray) -> bytes:
    """Encode an (H, W) or (H, W, C) uint16 array, C in {1, 2, 3, 4}, as a 16-bit PNG."""
    assert arr.dtype == np.uint16
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, c = arr.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    big_endian = arr.astype(">u2").tobytes()
    stride = w * c * 2
    raw = b"".join(b"\x00" + big_endian[y * stride : (y + 1) * stride] for y in range(h))
    idat = zlib.compress(raw, 0)  # stored blocks: deterministic regardless of zlib build
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


# --------------------------------------------------------------------------
# Minimal ICC v2 RGB display profile whose red and blue primaries are swapped
# relative to sRGB (gamma 2.2 curves).  Pillow's convert("RGB") ignores ICC
# profiles; a colour-managed decoder would visibly swap/alter channels.
# --------------------------------------------------------------------------
def _s15f16(x: float) -> bytes:
    return struct.pack(">i", int(round(x * 65536)))


def _xyz(x, y, z) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15f16(x) + _s15f16(y) + _s15f16(z)


def make_swapped_icc() -> bytes:
    desc_ascii = b"saev-tfjs test: R/B primaries swapped\0"
    desc = (
        b"desc" + b"\0" * 4 + struct.pack(">I", len(desc_ascii)) + desc_ascii
        + struct.pack(">II", 0, 0)  # unicode language code, count
        + struct.pack(">HB", 0, 0) + b"\0" * 67  # scriptcode code, count, string
    )
    cprt = b"text" + b"\0" * 4 + b"No copyright, test fixture\0"
    curv = b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", 0x0233) + b"\0\0"  # gamma 2.2
    d50 = (0.9642, 1.0, 0.8249)
    srgb_r, srgb_g, srgb_b = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    tags = [
        (b"desc", desc),
        (b"cprt", cprt),
        (b"wtpt", _xyz(*d50)),
        (b"rXYZ", _xyz(*srgb_b)),  # swapped
        (b"gXYZ", _xyz(*srgb_g)),
        (b"bXYZ", _xyz(*srgb_r)),  # swapped
        (b"rTRC", curv),
        (b"gTRC", curv),
        (b"bTRC", curv),
    ]
    table_len = 4 + 12 * len(tags)
    offset = 128 + table_len
    table = struct.pack(">I", len(tags))
    body = b""
    for sig, data in tags:
        while (offset + len(body)) % 4:
            body += b"\0"
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    while len(body) % 4:
        body += b"\0"
    size = 128 + table_len + len(body)
    header = (
        struct.pack(">I", size) + b"\0\0\0\0" + struct.pack(">I", 0x02100000)
        + b"mntr" + b"RGB " + b"XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp" + b"\0" * 4 + b"\0" * 4 + b"\0" * 4 + b"\0" * 4 + b"\0" * 8
        + struct.pack(">I", 0)
        + _s15f16(d50[0]) + _s15f16(d50[1]) + _s15f16(d50[2])
        + b"\0" * 4 + b"\0" * 16 + b"\0" * 28
    )
    assert len(header) == 128, len(header)
    return header + table + body


# --------------------------------------------------------------------------
# Deterministic content.
# --------------------------------------------------------------------------
RNG = np.random.RandomState(20240601)
RGB8 = RNG.randint(0, 256, size=(H, W, 3)).astype(np.uint8)
RGB8[0, 0] = (0, 0, 0)
RGB8[-1, -1] = (255, 255, 255)
RGB8[0, 1] = (255, 0, 0)
RGB8[0, 2] = (0, 255, 0)
RGB8[0, 3] = (0, 0, 255)
GREY8 = RNG.randint(0, 256, size=(H, W)).astype(np.uint8)
GREY8[0, 0], GREY8[-1, -1] = 0, 255
ALPHA8 = RNG.randint(0, 256, size=(H, W)).astype(np.uint8)
ALPHA8[0, 0], ALPHA8[0, 1], ALPHA8[0, 2] = 0, 255, 128
BITS = (RNG.randint(0, 2, size=(H, W)) == 1)
PAL_IDX = RNG.randint(0, 256, size=(H, W)).astype(np.uint8)
PAL_IDX[0, :4] = (0, 1, 2, 255)
PALETTE = RNG.randint(0, 256, size=(256, 3)).astype(np.uint8)
PAL16_IDX = (np.arange(H * W).reshape(H, W) * 7 % 16).astype(np.uint8)
PALETTE16 = RNG.randint(0, 256, size=(16, 3)).astype(np.uint8)


def u16_values(shape):
    """uint16 values spanning 0..65535; about a third <= 300 so the clamp at 255 is visible."""
    n = int(np.prod(shape))
    v = RNG.randint(0, 65536, size=n).astype(np.int64)
    small = RNG.randint(0, 301, size=n)
    pick = RNG.randint(0, 3, size=n) == 0
    v[pick] = small[pick]
    special = [0, 1, 127, 128, 254, 255, 256, 257, 0x00FF, 0x0100, 0x7F80, 0x7FFF, 0x8000, 0x80FF, 0xFF00, 0xFF7F, 0xFF80, 0xFFFF]
    v[: len(special)] = special
    return v.reshape(shape).astype(np.uint16)


GREY16 = u16_values((H, W))
RGB16 = u16_values((H, W, 3))
RGBA16 = u16_values((H, W, 4))
LA16 = u16_values((H, W, 2))


def pil_save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def build():
    """Return a list of (filename, bytes, note)."""
    files = []

    files.append(("grey-L.png", pil_save(Image.fromarray(GREY8, "L"), "PNG"), "8-bit greyscale PNG; R=G=B=L"))
    files.append(("bilevel-1.png", pil_save(Image.fromarray(BITS).convert("1"), "PNG"), "1-bit PNG; 0 -> 0, 1 -> 255"))

    p = Image.fromarray(PAL_IDX, "P")
    p.putpalette(PALETTE.tobytes())
    files.append(("palette-P.png", pil_save(p, "PNG"), "8-bit palette PNG, no tRNS"))

    p16 = Image.fromarray(PAL16_IDX, "P")
    p16.putpalette(PALETTE16.tobytes())
    trns = bytes([0, 64, 128, 200] + [255] * 12)
    files.append((
        "palette-P-trns.png",
        pil_save(p16, "PNG", transparency=trns),
        "4-bit palette PNG with tRNS alpha for entries 0..3; convert('RGB') ignores alpha (plain palette lookup; Pillow emits a UserWarning)",
    ))

    p_key = Image.fromarray(PAL_IDX, "P")
    p_key.putpalette(PALETTE.tobytes())
    files.append((
        "palette-P-trns-index.png",
        pil_save(p_key, "PNG", transparency=2),
        "8-bit palette PNG with a single transparent index (2); convert('RGB') ignores it",
    ))

    rgba = np.dstack([RGB8, ALPHA8])
    files.append(("rgba.png", pil_save(Image.fromarray(rgba, "RGBA"), "PNG"), "RGBA PNG, varied alpha; convert('RGB') drops alpha, no compositing"))
    la = np.dstack([GREY8, ALPHA8])
    files.append(("grey-alpha-LA.png", pil_save(Image.fromarray(la, "LA"), "PNG"), "LA PNG; alpha dropped, R=G=B=L"))

    files.append((
        "grey16-I16.png",
        pil_save(Image.fromarray(GREY16), "PNG"),
        "16-bit greyscale PNG; opens as I;16; convert('RGB') CLAMPS: R=G=B=min(v, 255) (no scaling)",
    ))
    files.append((
        "rgb16.png",
        encode_png16(RGB16),
        "16-bit RGB PNG (hand-rolled encoder); opens as 8-bit RGB holding the high byte: v >> 8",
    ))
    files.append((
        "rgba16.png",
        encode_png16(RGBA16),
        "16-bit RGBA PNG (hand-rolled encoder); opens as RGBA with high bytes; alpha dropped",
    ))
    files.append((
        "grey-alpha16-LA16.png",
        encode_png16(LA16),
        "16-bit grey+alpha PNG (hand-rolled encoder); Pillow opens it as RGBA (not LA) holding the high byte: R=G=B=L>>8",
    ))

    files.append(("rgb-q95.jpg", pil_save(Image.fromarray(RGB8, "RGB"), "JPEG", quality=95), "RGB JPEG quality 95, Pillow default subsampling (4:2:0)"))
    files.append((
        "rgb-q95-444.jpg",
        pil_save(Image.fromarray(RGB8, "RGB"), "JPEG", quality=95, subsampling=0),
        "RGB JPEG quality 95, 4:4:4 (no chroma subsampling, isolates upsampling differences)",
    ))
    files.append(("grey.jpg", pil_save(Image.fromarray(GREY8, "L"), "JPEG", quality=95), "greyscale JPEG quality 95"))
    cmyk = np.dstack([RGB8, GREY8])
    files.append((
        "cmyk.jpg",
        pil_save(Image.fromarray(cmyk, "CMYK"), "JPEG", quality=95),
        "CMYK JPEG (Adobe, inverted); Pillow's naive CMYK->RGB, no ICC",
    ))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    files.append((
        "rgb-exif-orient6.jpg",
        pil_save(Image.fromarray(RGB8, "RGB"), "JPEG", quality=95, exif=exif.tobytes()),
        "RGB JPEG with EXIF Orientation=6; Image.open().convert('RGB') does NOT rotate (stays 7x5)",
    ))
    files.append(("rgb.bmp", pil_save(Image.fromarray(RGB8, "RGB"), "BMP"), "24-bit BMP"))
    files.append(("rgb-lossless.webp", pil_save(Image.fromarray(RGB8, "RGB"), "WEBP", lossless=True), "lossless WebP"))
    files.append(("rgb.tiff", pil_save(Image.fromarray(RGB8, "RGB"), "TIFF"), "RGB TIFF, uncompressed"))
    files.append((
        "rgb-icc-swapped.png",
        pil_save(Image.fromarray(RGB8, "RGB"), "PNG", icc_profile=make_swapped_icc()),
        "RGB PNG with an embedded ICC profile whose R/B primaries are swapped; Pillow ignores ICC, so RGB equals the stored samples",
    ))
    return files


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, data, note in build():
        path = OUT_DIR / name
        path.write_bytes(data)
        with Image.open(path) as im, warnings.catch_warnings():
            # Pillow warns "Palette images with Transparency expressed in bytes should be
            # converted to RGBA images" for palette-P-trns.png; the conversion still
            # just looks up the palette (alpha ignored).
            warnings.simplefilter("ignore", UserWarning)
            mode = im.mode
            rgb = im.convert("RGB")
        arr = np.asarray(rgb, dtype=np.uint8)
        assert arr.shape == (rgb.height, rgb.width, 3)
        entries.append({
            "file": name,
            "pil_mode_on_open": mode,
            "width": rgb.width,
            "height": rgb.height,
            "rgb_hex": arr.tobytes().hex(),
            "note": note,
            "file_sha256": hashlib.sha256(data).hexdigest(),
        })

    # Self-checks of the behaviours the notes describe.
    by = {e["file"]: e for e in entries}

    def rgb_of(name):
        e = by[name]
        return np.frombuffer(bytes.fromhex(e["rgb_hex"]), np.uint8).reshape(e["height"], e["width"], 3)

    assert by["grey16-I16.png"]["pil_mode_on_open"] == "I;16"
    assert (rgb_of("grey16-I16.png") == np.minimum(GREY16, 255).astype(np.uint8)[:, :, None]).all()
    assert by["rgb16.png"]["pil_mode_on_open"] == "RGB"
    assert (rgb_of("rgb16.png") == (RGB16 >> 8).astype(np.uint8)).all()
    assert (rgb_of("rgba16.png") == (RGBA16[:, :, :3] >> 8).astype(np.uint8)).all()
    assert by["grey-alpha16-LA16.png"]["pil_mode_on_open"] == "RGBA"
    assert (rgb_of("grey-alpha16-LA16.png") == (LA16[:, :, :1] >> 8).astype(np.uint8)).all()
    assert (rgb_of("rgba.png") == RGB8).all()
    assert (rgb_of("rgb-icc-swapped.png") == RGB8).all()
    assert (rgb_of("palette-P-trns.png") == PALETTE16[PAL16_IDX]).all()
    assert (rgb_of("palette-P.png") == PALETTE[PAL_IDX]).all()
    assert (rgb_of("grey-L.png") == GREY8[:, :, None]).all()
    assert (rgb_of("bilevel-1.png") == (BITS * 255).astype(np.uint8)[:, :, None]).all()
    assert by["rgb-exif-orient6.jpg"]["width"] == W

    manifest = {
        "description": "Expected Image.open(path).convert('RGB') output; rgb_hex is H*W*3 uint8 bytes, row-major RGB.",
        "generator": "scripts/make-rgb-fixtures.py",
        "pillow_version": PIL.__version__,
        "numpy_version": np.__version__,
        "codec_versions": {
            k: features.version(k) for k in ("libjpeg_turbo", "zlib", "webp", "libtiff", "littlecms2")
        },
        "files": entries,
    }
    with open(OUT_DIR / "expected.json", "w", encoding="utf-8", newline="\n") as fd:
        json.dump(manifest, fd, indent=2)
        fd.write("\n")
    total = sum(p.stat().st_size for p in OUT_DIR.iterdir())
    print(f"wrote {len(entries)} images + expected.json to {OUT_DIR} ({total} bytes total)")


if __name__ == "__main__":
    main()
