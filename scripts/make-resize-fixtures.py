"""Generate Pillow-made resize fixtures for saev-tfjs's exact resampler.

saev-tfjs reproduces ``PIL.Image.resize`` (BICUBIC and BILINEAR, 8-bit RGB) and
torchvision's preprocessing arithmetic on PIL images bit for bit
(``src/images/resample.ts``, ``src/images/preprocess.ts``).  This script writes
``test/fixtures/resize/``:

* ``src-*.rgb``: source pixels, raw uint8 RGB, row-major ``[H, W, 3]``, no header.
  They are crops of real photographs from ``src/demo/images/`` decoded with
  ``Image.open(path).convert("RGB")`` (crops keep the fixtures small; the whole
  directory stays under ~600 KB).
* ``out-*.rgb``: Pillow's output, same raw layout.
* ``manifest.json``: every source (file, size, photo and crop box), every
  resize (source, filter, size, file), every pipeline, and the numeric cases:

  - ``resizes``: ``src.resize((w, h), Image.BICUBIC | Image.BILINEAR)`` for
    downscales by non-integer factors, a strong downscale, upscales (slight and
    ~2.3x), and changes of one axis only.
  - ``pipelines``: torchvision's ``Resize(size)`` + ``CenterCrop(crop)``
    arithmetic on PIL images, computed here with Pillow only (torchvision is not
    installed; its ``F.resize`` on a PIL image is exactly ``img.resize((w, h),
    filter)``): the short side becomes ``size``, the long side
    ``int(size * long / short)``, then ``img.crop`` at offsets
    ``int(round((H - crop) / 2.0))`` / ``int(round((W - crop) / 2.0))``.  The
    224 pipeline is the CLIP one (bicubic, Resize(224) + CenterCrop(224)); the
    source size is chosen so that truncating the long side (281, not 282) and
    Python's half-to-even round (28.5 -> 28) both matter.  Smaller landscape
    pipelines exercise the other branch, bilinear, and more .5 offsets.  A
    ``squash`` pipeline is ``Resize((size, size))`` with no crop.
  - ``round``: Python's ``round(x)`` on halves and near-halves.
  - ``normalize``: float32 ``(x / 255 - mean) / std`` computed by numpy in
    float32, as torchvision's ``ToTensor`` + ``Normalize`` do, for a few pixels
    and three mean/std pairs.

Run from anywhere: ``python3 scripts/make-resize-fixtures.py``.  Needs Pillow and
numpy (``pip install pillow numpy``; made with Pillow 13.0.0, numpy 2.4.6).  The
output is deterministic for a given Pillow/libjpeg-turbo build.
"""

import json
import pathlib

import numpy as np
import PIL
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMAGES = ROOT / "src" / "demo" / "images"
OUT = ROOT / "test" / "fixtures" / "resize"

# name -> (photo, crop box (left, upper, right, lower))
SOURCES = {
    "cat": ("animal/cat.jpg", (150, 60, 301, 160)),  # 151x100, landscape
    "cat-small": ("animal/cat.jpg", (200, 100, 248, 132)),  # 48x32, for upscales
    "rocket": ("space/rocket.jpg", (40, 60, 280, 362)),  # 240x302, portrait
}

FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}

# (source, filter, width, height, why)
RESIZES = [
    ("cat", "bicubic", 75, 49, "downscale, non-integer factors 2.013 x 2.041"),
    ("cat", "bicubic", 113, 75, "shortest-side style: short 100 -> 75, long int(75 * 151 / 100) = 113"),
    ("cat", "bicubic", 37, 29, "strong downscale 4.08 x 3.45"),
    ("cat", "bilinear", 75, 49, "downscale, non-integer factors"),
    ("cat", "bilinear", 37, 29, "strong downscale"),
    ("cat-small", "bicubic", 53, 35, "slight upscale 1.104 x 1.094 (like 451x300 -> 500x333)"),
    ("cat-small", "bicubic", 110, 73, "upscale ~2.3x"),
    ("cat-small", "bilinear", 110, 73, "upscale ~2.3x"),
    ("cat-small", "bicubic", 48, 21, "vertical-only downscale"),
    ("cat-small", "bicubic", 29, 32, "horizontal-only downscale"),
    ("cat-small", "bilinear", 29, 32, "horizontal-only downscale"),
    ("cat-small", "bicubic", 48, 71, "vertical-only upscale"),
    ("cat-small", "bicubic", 71, 32, "horizontal-only upscale"),
]

# (name, source, resize, size, filter, crop)
PIPELINES = [
    ("clip-224", "rocket", "shortest", 224, "bicubic", 224),
    ("landscape-64-crop55", "cat", "shortest", 64, "bicubic", 55),
    ("bilinear-73-crop64", "cat", "shortest", 73, "bilinear", 64),
    ("squash-64", "rocket", "squash", 64, "bicubic", None),
]

ROUND_CASES = [0.5, 1.5, 2.5, 3.5, 28.5, 36.5, 4.5, -0.5, -1.5, -2.5, 0.0, 2.4999999, 2.5000001, 7.0, 1e-9, 12.75, -3.25]

NORMALIZE_SPECS = [
    ("clip", (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
    ("imagenet", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ("half", (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
]
# A 5x1 image, [H=1, W=5, 3].
NORMALIZE_PIXELS = [[0, 0, 0], [255, 255, 255], [1, 127, 128], [254, 2, 200], [17, 93, 161]]


def save_rgb(name, img):
    assert img.mode == "RGB", img.mode
    (OUT / name).write_bytes(img.tobytes())
    return name


def torchvision_resized_size(width, height, size):
    """torchvision's _compute_resized_output_size for an int size (max_size None)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if width <= height else (new_long, new_short)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.rgb"):
        old.unlink()
    manifest = {
        "generator": "scripts/make-resize-fixtures.py",
        "pillow_version": PIL.__version__,
        "numpy_version": np.__version__,
        "layout": "raw uint8 RGB, row-major [H, W, 3], no header",
        "sources": {},
        "resizes": [],
        "pipelines": [],
        "round": [],
        "normalize": [],
    }
    sources = {}
    for name, (photo, box) in SOURCES.items():
        img = Image.open(IMAGES / photo).convert("RGB").crop(box)
        assert np.asarray(img).std() > 20, f"{name} crop is too flat to test resampling"
        sources[name] = img
        file = save_rgb(f"src-{name}.rgb", img)
        manifest["sources"][name] = {"file": file, "width": img.width, "height": img.height, "photo": f"src/demo/images/{photo}", "crop": list(box)}

    for source, filt, w, h, why in RESIZES:
        src = sources[source]
        out = src.resize((w, h), FILTERS[filt])
        assert out.size == (w, h)
        file = save_rgb(f"out-{source}-{filt}-{w}x{h}.rgb", out)
        manifest["resizes"].append({"source": source, "filter": filt, "width": w, "height": h, "file": file, "why": why})

    for name, source, resize, size, filt, crop in PIPELINES:
        src = sources[source]
        if resize == "shortest":
            rw, rh = torchvision_resized_size(src.width, src.height, size)
        else:
            rw, rh = size, size
        img = src.resize((rw, rh), FILTERS[filt])
        entry = {"name": name, "source": source, "resize": resize, "resize_size": size, "filter": filt, "crop_size": crop, "resized": [rw, rh]}
        if crop is not None:
            top = int(round((rh - crop) / 2.0))
            left = int(round((rw - crop) / 2.0))
            img = img.crop((left, top, left + crop, top + crop))
            entry["crop_offset"] = [left, top]
        entry.update({"width": img.width, "height": img.height, "file": save_rgb(f"pipe-{name}.rgb", img)})
        manifest["pipelines"].append(entry)
    clip = next(p for p in manifest["pipelines"] if p["name"] == "clip-224")
    assert clip["resized"] == [224, 281] and clip["crop_offset"] == [0, 28], clip

    manifest["round"] = [[x, round(x)] for x in ROUND_CASES]

    pixels = np.array(NORMALIZE_PIXELS, dtype=np.uint8).reshape(1, len(NORMALIZE_PIXELS), 3)
    for name, mean, std in NORMALIZE_SPECS:
        scaled = pixels.astype(np.float32) / np.float32(255)
        values = (scaled - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)
        assert values.dtype == np.float32
        manifest["normalize"].append({
            "name": name,
            "mean": list(mean),
            "std": list(std),
            "width": pixels.shape[1],
            "height": pixels.shape[0],
            "pixels_HWC": pixels.reshape(-1).tolist(),
            # float(np.float32) is the exact double of each float32 value.
            "values_HWC": [float(v) for v in values.reshape(-1)],
        })

    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {OUT}: {len(list(OUT.iterdir()))} files, {total} bytes")
    assert total < 600_000, total


if __name__ == "__main__":
    main()
