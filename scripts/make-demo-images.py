"""Build the embedded demo image set, src/demo/images/, from scikit-image's wheel.

saev-tfjs's main command runs with no flags and no downloads on a small set of
real, licence-clean photographs laid out as a torchvision ImageFolder
(``<class>/<file>``).  This script reproduces that directory, and its
``LICENSES.md``, from the sample images that scikit-image ships inside its wheel
(``skimage/data/``).  Only photographs whose licence is stated in the wheel itself
(the docstrings of ``skimage/data/_fetchers.py``) as public domain or CC0 are used.

Get the wheel first (no install needed; any platform's 0.26.0 wheel carries the
same data files, which this script checks by SHA-256):

    pip download --no-deps scikit-image==0.26.0 -d /tmp/skimg

then, from the repository root:

    python3 scripts/make-demo-images.py [WHEEL_OR_DIR] [--out DIR]

WHEEL_OR_DIR defaults to /tmp/skimg (the newest ``scikit_image-0.26.0-*.whl`` in
it is used); --out defaults to src/demo/images next to this script's repository.
Needs Pillow (``pip install pillow``); the committed files were made with
Pillow 13.0.0.  The output is deterministic: fixed crops, LANCZOS resizes, JPEG
quality 85 with optimised Huffman tables and no metadata, a fixed palette
quantisation for the PNG.  Byte-identical output across Pillow versions is not
guaranteed (the bundled libjpeg-turbo/zlib may differ), the pixels are.

Files written: every image listed in IMAGES below, and LICENSES.md.  Other files
in the output directory are left alone (a warning names stray image files).
"""

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

from PIL import Image

SKIMAGE_VERSION = "0.26.0"
PILLOW_VERSION_USED = "13.0.0"
JPEG_QUALITY = 85

# SHA-256 of the source files inside scikit_image-0.26.0-*.whl, skimage/data/.
SOURCES = {
    "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "camera.png": "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    "chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    "hubble_deep_field.jpg": "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
    "rocket.jpg": "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
}

# Credit and licence of each source, quoted from the docstring of the matching
# function in skimage/data/_fetchers.py of the wheel.
CREDITS = {
    "astronaut.png": (
        "skimage.data.astronaut()",
        "NASA (portrait of astronaut Eileen Collins, from the NASA Great Images database)",
        "Public domain",
        '"This image was downloaded from the NASA Great Images database (flic.kr/p/r9qvLn). '
        'No known copyright restrictions, released into the public domain."',
    ),
    "camera.png": (
        "skimage.data.camera()",
        "Lav Varshney (photographer)",
        "CC0",
        '"No copyright restrictions. CC0 by the photographer (Lav Varshney)."',
    ),
    "chelsea.png": (
        "skimage.data.chelsea()",
        "Stefan van der Walt (photographer); Chelsea the cat",
        "CC0",
        '"No copyright restrictions.  CC0 by the photographer (Stefan van der Walt)."',
    ),
    "coffee.png": (
        "skimage.data.coffee()",
        "Rachel Michetti (photographer), courtesy of Pikolo Espresso Bar",
        "CC0",
        '"No copyright restrictions.  CC0 by the photographer (Rachel Michetti)."',
    ),
    "hubble_deep_field.jpg": (
        "skimage.data.hubble_deep_field()",
        "NASA (Hubble eXtreme Deep Field, from HubbleSite)",
        "Public domain",
        '"The image was captured by NASA and may be freely used in the public domain" '
        '(link to nasa.gov/audience/formedia/features/MP_Photo_Guidelines.html); '
        'downloaded from hubblesite.org/newscenter/archive/releases/2012/37/image/a/',
    ),
    "rocket.jpg": (
        "skimage.data.rocket()",
        "SpaceX (launch of DSCOVR on Falcon 9, SpaceX Photos)",
        "Public domain",
        '"The image was captured by SpaceX and released in the public domain" '
        '(link to an arstechnica.com article of March 2015 on SpaceX putting its photos '
        'in the public domain); downloaded from flickr.com/photos/spacexphotos/16511594820',
    ),
}

# (output path, source file, crop box (left, top, right, bottom) or None,
#  output size (w, h) or None for no resize, output kind, description)
# kind: "rgb-jpeg", "gray-jpeg" (1-channel JPEG), "palette-png" (8-bit P-mode PNG).
IMAGES = [
    ("animal/cat.jpg", "chelsea.png", None, None, "rgb-jpeg",
     "whole photo, landscape"),
    ("animal/cat_face.jpg", "chelsea.png", (120, 0, 376, 300), None, "rgb-jpeg",
     "portrait crop of the eyes and nose"),
    ("food/espresso.jpg", "coffee.png", None, (480, 320), "rgb-jpeg",
     "whole photo, landscape"),
    ("food/espresso_cup.jpg", "coffee.png", (150, 0, 450, 400), None, "rgb-jpeg",
     "portrait crop of the cup and spoon"),
    ("people/astronaut.png", "astronaut.png", (64, 0, 448, 512), (270, 360), "palette-png",
     "portrait crop"),
    ("people/cameraman.jpg", "camera.png", None, (384, 384), "gray-jpeg",
     "whole photo, square, greyscale"),
    ("space/deep_field.jpg", "hubble_deep_field.jpg", None, (401, 350), "rgb-jpeg",
     "whole photo, landscape"),
    ("space/galaxies.jpg", "hubble_deep_field.jpg", (580, 260, 880, 660), None, "rgb-jpeg",
     "portrait crop around the brightest galaxies"),
    ("space/rocket.jpg", "rocket.jpg", (160, 0, 480, 427), None, "rgb-jpeg",
     "portrait crop of the rocket between two towers"),
    ("space/launch_pad.jpg", "rocket.jpg", None, (480, 320), "rgb-jpeg",
     "whole photo, landscape"),
]


def find_wheel(arg: Path) -> Path:
    if arg.is_file():
        return arg
    wheels = sorted(arg.glob(f"scikit_image-{SKIMAGE_VERSION}-*.whl"))
    if not wheels:
        sys.exit(
            f"no scikit_image-{SKIMAGE_VERSION}-*.whl in {arg}; run\n"
            f"  pip download --no-deps scikit-image=={SKIMAGE_VERSION} -d {arg}"
        )
    return wheels[-1]


def read_sources(wheel: Path) -> dict:
    data = {}
    with zipfile.ZipFile(wheel) as zf:
        for name, digest in SOURCES.items():
            raw = zf.read(f"skimage/data/{name}")
            got = hashlib.sha256(raw).hexdigest()
            if got != digest:
                sys.exit(f"{name} in {wheel.name}: sha256 {got}, expected {digest}")
            data[name] = raw
    return data


def render(src: Image.Image, crop, size, kind: str) -> bytes:
    im = src
    if crop is not None:
        im = im.crop(crop)
    if kind == "gray-jpeg":
        im = im.convert("L")
    else:
        im = im.convert("RGB")
    if size is not None and size != im.size:
        im = im.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    if kind in ("rgb-jpeg", "gray-jpeg"):
        im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False)
    elif kind == "palette-png":
        pal = im.quantize(256, method=Image.Quantize.MEDIANCUT,
                          dither=Image.Dither.FLOYDSTEINBERG)
        pal.save(buf, "PNG", optimize=True)
    else:
        raise ValueError(kind)
    return buf.getvalue()


def describe(src_size, crop, out_size, kind, note) -> str:
    steps = []
    if crop is not None:
        l, t, r, b = crop
        steps.append(f"cropped to box (left={l}, top={t}, right={r}, bottom={b}) "
                     f"= {r - l}x{b - t} ({note})")
    else:
        steps.append(f"not cropped ({note})")
    w, h = out_size
    if (crop is None and out_size != src_size) or (
            crop is not None and out_size != (crop[2] - crop[0], crop[3] - crop[1])):
        steps.append(f"resized to {w}x{h} with Pillow LANCZOS")
    else:
        steps.append(f"not resized ({w}x{h})")
    if kind == "rgb-jpeg":
        steps.append(f"re-encoded as baseline RGB JPEG, quality {JPEG_QUALITY}, no metadata")
    elif kind == "gray-jpeg":
        steps.append("source is 8-bit greyscale; re-encoded as a 1-channel greyscale "
                     f"JPEG, quality {JPEG_QUALITY}, no metadata")
    else:
        steps.append("quantised to a 256-colour palette (median cut, Floyd-Steinberg "
                     "dither) and saved as an 8-bit palette PNG")
    return "; ".join(steps)


def licenses_md(rows) -> str:
    out = [
        "# Demo images: sources and licences",
        "",
        "Every file in this directory is a real photograph taken from the sample data "
        f"shipped in the scikit-image {SKIMAGE_VERSION} wheel from PyPI "
        f"(`scikit_image-{SKIMAGE_VERSION}-*.whl`, any platform; folder `skimage/data/`). The licence of each photograph is "
        "stated in the wheel itself, in the docstring of the matching loader function "
        "in `skimage/data/_fetchers.py` (quoted below). All are public domain or CC0, "
        "so they may be copied, modified and redistributed without permission; the "
        "credits are given as a courtesy.",
        "",
        "The directory is generated by `scripts/make-demo-images.py`, which documents "
        "the `pip download` command, checks the SHA-256 of each source file and "
        "writes this file. The layout is a torchvision ImageFolder: one sub-folder "
        "per class.",
        "",
        "| File | Bytes | Size (WxH, mode) | Source (scikit-image "
        f"{SKIMAGE_VERSION}) | Author / credit | Licence |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        func, credit, lic, _ = CREDITS[r["src"]]
        out.append(f"| `{r['path']}` | {r['bytes']} | {r['w']}x{r['h']}, {r['mode']} | "
                   f"`skimage/data/{r['src']}` ({func}) | {credit} | {lic} |")
    out += ["", "## What was done to each file", ""]
    for r in rows:
        out.append(f"- `{r['path']}` from `skimage/data/{r['src']}` "
                   f"({r['src_w']}x{r['src_h']}): {r['steps']}.")
    out += ["", "## Licence statements quoted from the wheel", "",
            "From the docstrings in `skimage/data/_fetchers.py` of scikit-image "
            f"{SKIMAGE_VERSION} (reStructuredText link markup flattened to plain text). "
            "The wheel's own `LICENSE.txt` (BSD-3-Clause) covers scikit-image's code; "
            "the per-image statements below are the licence information for the data.",
            ""]
    for name in sorted({r["src"] for r in rows}):
        func, _, lic, quote = CREDITS[name]
        out.append(f"- `{name}` ({func}): {quote}")
    out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("wheel", nargs="?", default="/tmp/skimg",
                    help="scikit-image wheel, or a directory holding it")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent
                                         / "src" / "demo" / "images"))
    args = ap.parse_args()

    import PIL
    if PIL.__version__ != PILLOW_VERSION_USED:
        print(f"note: Pillow {PIL.__version__}, committed files used "
              f"{PILLOW_VERSION_USED}; bytes may differ slightly", file=sys.stderr)

    wheel = find_wheel(Path(args.wheel))
    sources = read_sources(wheel)
    out = Path(args.out)
    rows = []
    total = 0
    for path, src, crop, size, kind, note in IMAGES:
        im = Image.open(io.BytesIO(sources[src]))
        im.load()
        data = render(im, crop, size, kind)
        dest = out / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        check = Image.open(io.BytesIO(data))
        rows.append({
            "path": path, "src": src, "bytes": len(data),
            "w": check.width, "h": check.height, "mode": check.mode,
            "src_w": im.width, "src_h": im.height,
            "steps": describe(im.size, crop, check.size, kind, note),
        })
        total += len(data)
        print(f"{path:28s} {check.width:4d}x{check.height:<4d} {check.mode:3s} "
              f"{len(data):7d} B")
    (out / "LICENSES.md").write_text(licenses_md(rows), encoding="utf-8")
    print(f"{'total':28s} {'':13s} {total:7d} B ({len(rows)} images)")

    known = {p for p, *_ in IMAGES}
    for f in sorted(out.rglob("*")):
        rel = f.relative_to(out).as_posix()
        if f.is_file() and f.suffix.lower() in (".jpg", ".jpeg", ".png") and rel not in known:
            print(f"warning: stray image not made by this script: {rel}", file=sys.stderr)


if __name__ == "__main__":
    main()
