"""Pillow's side of ``npm run bench:preprocess`` (scripts/bench/preprocess-bench.ts), and its data.

``make-data --out DIR --n N``: N JPEGs of 451x300 px (~38 KB at quality 93, ImageNet-like), made from the
demo photographs (src/demo/images) with Pillow: a seeded crop of 80-100% of a photo, converted to RGB,
resized to 451x300 bicubic. Names go to stdout, one a line.

``serve``: one single-threaded process that answers JSON lines on stdin, so the benchmark can alternate
it with ours without paying for Python's start-up:

- ``{"op": "run", "files": [...], "pipeline": P, "seconds": S}``: preprocesses the files in turn for at
  least S seconds, reading each file as a dataset would: ``Image.open(path).convert("RGB")`` then the
  torchvision transforms of pipeline P, and answers ``{"n": images, "s": seconds}``.
- ``{"op": "dump", "files": [...], "pipeline": P, "out": PATH}``: writes each file's result to PATH as
  float32 in HWC order, so the benchmark can check that both sides compute the same values.

P is ``{"resize": "shortest"|"squash", "size": int, "filter": "bicubic"|"bilinear", "crop": int|null,
"mean": [3], "std": [3]}``: ``Resize(size)`` (or ``Resize((size, size))``) + ``CenterCrop(crop)`` +
``ToTensor()`` + ``Normalize(mean, std)``. With torchvision importable its own transforms run; otherwise
the same arithmetic is spelt out as torchvision's functional code does it on a PIL image: ``img.resize``,
``img.crop`` at ``int(round((H - crop) / 2.0))``, ``ToTensor`` as a float32 CHW copy divided by 255, and
``Normalize`` as float32 ``(x - mean) / std``, with torch when it is installed (one thread) or numpy.

Run by the benchmark as ``$SAEV_BENCH_PYTHON scripts/bench/pillow_preprocess.py serve``; needs Pillow and
numpy (``pip install pillow numpy``).
"""

import argparse
import json
import pathlib
import random
import sys
import time

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}


def make_data(out: pathlib.Path, n: int) -> None:
    photos = sorted(p for p in (ROOT / "src" / "demo" / "images").glob("*/*.*") if p.suffix in (".jpg", ".png"))
    rng = random.Random(0)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = Image.open(photos[i % len(photos)]).convert("RGB")
        f = rng.uniform(0.8, 1.0)
        w, h = int(img.width * f), int(img.height * f)
        left, top = rng.randint(0, img.width - w), rng.randint(0, img.height - h)
        path = out / f"{i:05d}.jpg"
        img.crop((left, top, left + w, top + h)).resize((451, 300), Image.BICUBIC).save(path, "JPEG", quality=93)
        print(path)


def torchvision_transform(p: dict):
    from torchvision import transforms as T

    mode = {"bicubic": T.InterpolationMode.BICUBIC, "bilinear": T.InterpolationMode.BILINEAR}[p["filter"]]
    size = p["size"] if p["resize"] == "shortest" else (p["size"], p["size"])
    steps = [T.Resize(size, interpolation=mode)] + ([T.CenterCrop(p["crop"])] if p["crop"] else [])
    return T.Compose(steps + [T.ToTensor(), T.Normalize(p["mean"], p["std"])]), "torchvision"


def spelt_out_transform(p: dict):
    try:
        import torch

        torch.set_num_threads(1)
        mean = torch.tensor(p["mean"], dtype=torch.float32)[:, None, None]
        std = torch.tensor(p["std"], dtype=torch.float32)[:, None, None]

        def to_normalised(img):
            x = torch.from_numpy(np.array(img, np.uint8, copy=True)).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
            return x.sub_(mean).div_(std)

        flavour = "Pillow + torch (torchvision's arithmetic)"
    except ImportError:
        mean = np.array(p["mean"], np.float32)[:, None, None]
        std = np.array(p["std"], np.float32)[:, None, None]

        def to_normalised(img):
            x = np.ascontiguousarray(np.asarray(img).transpose(2, 0, 1)).astype(np.float32) / np.float32(255)
            return (x - mean) / std

        flavour = "Pillow + numpy (torchvision's arithmetic)"

    def transform(img):
        if p["resize"] == "squash":
            w = h = p["size"]
        else:
            short, long = sorted(img.size)
            new_long = int(p["size"] * long / short)
            w, h = (p["size"], new_long) if img.width <= img.height else (new_long, p["size"])
        img = img.resize((w, h), FILTERS[p["filter"]])
        if p["crop"]:
            c = p["crop"]
            top, left = int(round((h - c) / 2.0)), int(round((w - c) / 2.0))
            img = img.crop((left, top, left + c, top + c))
        return to_normalised(img)

    return transform, flavour


def make_transform(p: dict):
    try:
        return torchvision_transform(p)
    except Exception:  # not installed, or a torchvision that does not match the installed torch
        return spelt_out_transform(p)


def serve() -> None:
    for line in sys.stdin:
        req = json.loads(line)
        transform, flavour = make_transform(req["pipeline"])
        files = req["files"]
        if req["op"] == "dump":
            with open(req["out"], "wb") as f:
                for path in files:
                    x = transform(Image.open(path).convert("RGB"))
                    f.write(np.asarray(x, np.float32).transpose(1, 2, 0).tobytes())
            reply = {"flavour": flavour}
        else:
            n, start = 0, time.perf_counter()
            while time.perf_counter() - start < req["seconds"]:
                for path in files:
                    transform(Image.open(path).convert("RGB"))
                    n += 1
            reply = {"n": n, "s": time.perf_counter() - start, "flavour": flavour}
        print(json.dumps(reply), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    data = sub.add_parser("make-data")
    data.add_argument("--out", required=True)
    data.add_argument("--n", type=int, default=100)
    sub.add_parser("serve")
    args = parser.parse_args()
    if args.cmd == "make-data":
        make_data(pathlib.Path(args.out), args.n)
    else:
        serve()


if __name__ == "__main__":
    main()
