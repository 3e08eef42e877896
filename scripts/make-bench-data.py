"""Generate large synthetic datasets in /tmp for scripts/bench-datasets.ts (never committed).

- ``<out>/imagenet/data/train-0000K-of-0000N.parquet``: Hugging Face-style parquet with the same
  schema and ``huggingface`` footer metadata as test/fixtures/data/imagenet (written by ``datasets``),
  row groups of ``--row-group-rows`` rows (default 100, ``datasets``' default for image data), a page
  index (as ``datasets`` writes), snappy image pages and zstd label
  pages (zstd over the image column would deduplicate the repeated payloads and shrink the file far
  below real ImageNet's, whose JPEGs do not compress); image payloads cycle
  through real JPEGs (the demo photos re-encoded at several sizes, so rows differ in size). Size is set
  by ``--parquet-gb``.
- ``<out>/image-folder/<class>/<i>.jpg`` and ``<out>/ade20k`` (ADEChallengeData2016 layout): ``--n-imgs``
  images each, the same JPEG payloads, so decode rates compare across kinds.
- ``<out>/listing/<class>/<i>.jpg``: ``--listing-files`` empty files in 1000 classes, for the
  ImageFolder listing/index benchmark at scale (listing only, never decoded).

Run:  /path/to/venv/bin/python scripts/make-bench-data.py --out /tmp/saev-bench --parquet-gb 3
"""

import argparse
import io
import os
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO = sorted((ROOT / "src" / "demo" / "images").glob("*/*.*"))
FIXTURE = ROOT / "test" / "fixtures" / "data" / "imagenet" / "data" / "train-00000-of-00002.parquet"


def payloads() -> list:
    out = []
    for path in DEMO:
        img = Image.open(path).convert("RGB")
        for scale in (1.0, 1.25):  # ~ImageNet-sized JPEGs (~300-500 px), 20-60 KB
            buf = io.BytesIO()
            img.resize((int(img.width * scale), int(img.height * scale)), Image.BICUBIC).save(buf, format="JPEG", quality=90)
            out.append(buf.getvalue())
    return out


def make_parquet(out: pathlib.Path, gb: float, jpegs: list, group_rows: int) -> None:
    schema = pq.read_schema(FIXTURE)  # image struct + label, with the `huggingface` metadata
    target = int(gb * 1e9)
    n_files = max(1, round(gb))
    (out / "data").mkdir(parents=True, exist_ok=True)
    per_file = target // n_files
    i = 0
    for f in range(n_files):
        path = out / "data" / f"train-{f:05d}-of-{n_files:05d}.parquet"
        codecs = {"image.bytes": "snappy", "image.path": "zstd", "label": "zstd"}
        # no dictionary for image bytes (datasets writes them PLAIN): a dictionary would dedupe the repeats
        with pq.ParquetWriter(path, schema, compression=codecs, use_dictionary=["image.path", "label"], write_page_index=True) as writer:
            written = 0
            while written < per_file:
                n = min(group_rows, 1 + (per_file - written) // 30_000)
                rows = [jpegs[(i + k) % len(jpegs)] for k in range(n)]
                table = pa.table({"image": [{"bytes": b, "path": None} for b in rows], "label": [(i + k) % 5 for k in range(n)]}, schema=schema)
                writer.write_table(table, row_group_size=group_rows)
                written += sum(len(b) for b in rows)
                i += n
        print(f"{path}: {path.stat().st_size / 1e9:.2f} GB")
    print(f"parquet: {i} rows")


def make_trees(out: pathlib.Path, n: int, jpegs: list) -> None:
    for i in range(n):
        d = out / "image-folder" / f"class{i % 10:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{i:07d}.jpg").write_bytes(jpegs[i % len(jpegs)])
    ade = out / "ade20k"
    for split in ("training",):
        (ade / "images" / split).mkdir(parents=True, exist_ok=True)
        (ade / "annotations" / split).mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        stem = f"ADE_train_{i + 1:08d}"
        jpeg = jpegs[i % len(jpegs)]
        (ade / "images" / "training" / f"{stem}.jpg").write_bytes(jpeg)
        grey = np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"), dtype=np.uint8) // 2
        Image.fromarray(grey, mode="L").save(ade / "annotations" / "training" / f"{stem}.png")
        lines.append(f"{stem} scene{i % 7}\n")
    (ade / "sceneCategories.txt").write_text("".join(lines))


def make_listing(out: pathlib.Path, n: int) -> None:
    for c in range(1000):
        d = out / "listing" / f"n{c:08d}"
        d.mkdir(parents=True, exist_ok=True)
        for k in range(c, n, 1000):
            os.close(os.open(d / f"n{c:08d}_{k}.JPEG", os.O_CREAT | os.O_WRONLY, 0o644))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/saev-bench")
    parser.add_argument("--parquet-gb", type=float, default=3.0)
    parser.add_argument("--n-imgs", type=int, default=2000)
    parser.add_argument("--row-group-rows", type=int, default=100, help="rows per row group (100: datasets' default for images)")
    parser.add_argument("--parquet-dir", default="imagenet")
    parser.add_argument("--listing-files", type=int, default=1_000_000)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    jpegs = payloads()
    print(f"{len(jpegs)} JPEG payloads, mean {np.mean([len(j) for j in jpegs]) / 1e3:.0f} KB")
    if args.n_imgs:
        make_trees(out, args.n_imgs, jpegs)
    if args.parquet_gb:
        make_parquet(out / args.parquet_dir, args.parquet_gb, jpegs, args.row_group_rows)
    if args.listing_files:
        make_listing(out, args.listing_files)


if __name__ == "__main__":
    main()
