"""Generate the dataset fixtures in test/fixtures/data/ with the real producers.

- ``imagenet/``: a local Hugging Face dataset repository written by ``datasets``
  (``Dataset.from_dict(..., features=Features({'image': Image(), 'label':
  ClassLabel(names=...)})).to_parquet(...)``), sharded like ``push_to_hub``
  names files (``data/train-00000-of-00002.parquet``), small row groups
  (``batch_size``), one shard zstd- and one snappy-compressed. Expected items
  come from ``datasets.load_dataset(<root>, split=...)``, saev's own path.
- ``imagenet-bad/``: a file without an ``image`` column and one whose image
  payload is not an image.
- ``ade20k/``: an ADEChallengeData2016-shaped tree with real JPEGs and mode-L
  PNG annotation maps; ``sceneCategories.txt`` lists validation before
  training, so a reader that zips lines with images (saev 0.1.0's bug) fails.
  Expected per-patch majority labels are computed with PIL NEAREST resize +
  torchvision-style centre crop + numpy bincount argmax (saev's later
  ``pixel_to_patch_labels``).
- ``image-folder/``: an ImageFolder tree with JPEG, PNG, WebP and BMP files and
  a non-image file.

The photographs are the demo photos (src/demo/images, public domain / CC0),
downscaled so the committed fixtures stay small. ``expected.json`` records,
per dataset and index, the label and sha256 of Pillow's ``convert("RGB")``
bytes.

Run:  python3 -m venv /tmp/v && /tmp/v/bin/pip install datasets pillow pyarrow numpy
      /tmp/v/bin/python scripts/make-data-fixtures.py
"""

import hashlib
import io
import json
import os
import pathlib
import shutil

import datasets
import numpy as np
import PIL
import pyarrow
import pyarrow.parquet as pq
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO = ROOT / "src" / "demo" / "images"
OUT = ROOT / "test" / "fixtures" / "data"

PHOTOS = sorted(DEMO.glob("*/*.*"))  # 10 photos, 4 classes


def small_jpeg(path: pathlib.Path, side: int, quality: int = 80) -> bytes:
    img = Image.open(path).convert("RGB")
    img.thumbnail((side, side), Image.BICUBIC)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def rgb_sha(img: Image.Image) -> dict:
    rgb = img.convert("RGB")
    return {"width": rgb.width, "height": rgb.height, "sha256": hashlib.sha256(rgb.tobytes()).hexdigest()}


def make_imagenet(expected: dict) -> None:
    root = OUT / "imagenet"
    shutil.rmtree(root, ignore_errors=True)
    (root / "data").mkdir(parents=True)
    names = sorted({p.parent.name for p in PHOTOS}) + ["unused class, with 'quotes'"]
    features = datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=names)})
    rows = {"image": [{"bytes": small_jpeg(p, 48 + 8 * i), "path": None} for i, p in enumerate(PHOTOS)],
            "label": [names.index(p.parent.name) for p in PHOTOS]}
    train = datasets.Dataset.from_dict(rows, features=features)
    # push_to_hub-style shards. datasets itself writes image bytes uncompressed (PLAIN) and labels
    # snappy, one row group per batch; the second train shard and the validation shard are then
    # re-encoded by pyarrow (zstd, resp. snappy everywhere), keeping the `huggingface` footer metadata.
    train.select(range(0, 6)).to_parquet(str(root / "data" / "train-00000-of-00002.parquet"), batch_size=2)
    shard1 = root / "data" / "train-00001-of-00002.parquet"
    train.select(range(6, 10)).to_parquet(str(shard1), batch_size=4)
    pq.write_table(pq.read_table(shard1), shard1, compression="zstd", row_group_size=3)
    val = datasets.Dataset.from_dict({"image": rows["image"][:3][::-1], "label": rows["label"][:3][::-1]}, features=features)
    val_path = root / "data" / "validation-00000-of-00001.parquet"
    val.to_parquet(str(val_path), batch_size=3)
    # with a page index and one row per data page, so a reader can fetch part of a row group
    pq.write_table(pq.read_table(val_path), val_path, compression="snappy", row_group_size=2,
                   write_page_index=True, data_page_size=1, write_batch_size=1, use_dictionary=["image.path", "label"])
    codecs = {}
    for f in sorted((root / "data").iterdir()):
        md = pq.ParquetFile(f).metadata
        codecs[f.name] = {"row_groups": [md.row_group(g).num_rows for g in range(md.num_row_groups)],
                          "codecs": sorted({md.row_group(g).column(c).compression for g in range(md.num_row_groups) for c in range(md.num_columns)}),
                          "has_hf_metadata": b"huggingface" in (md.metadata or {}),
                          "page_index": all(md.row_group(g).column(0).has_offset_index for g in range(md.num_row_groups))}
    (root / "README.md").write_text("Fixture: a local Hugging Face dataset repository (see scripts/make-data-fixtures.py).\n")

    out = {"names": names, "files": codecs}
    for split in ("train", "validation"):
        ds = datasets.load_dataset(str(root), split=split)
        items = []
        for i, item in enumerate(ds):
            items.append({"index": i, "target": item["label"], "label": ds.features["label"].int2str(item["label"]), **rgb_sha(item["image"])})
        out[split] = items
    expected["imagenet"] = out

    bad = OUT / "imagenet-bad"
    shutil.rmtree(bad, ignore_errors=True)
    (bad / "no-image" / "data").mkdir(parents=True)
    (bad / "not-an-image" / "data").mkdir(parents=True)
    datasets.Dataset.from_dict({"img": rows["image"][:2], "label": rows["label"][:2]},
                               features=datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(names=names)})
                               ).to_parquet(str(bad / "no-image" / "data" / "train-00000-of-00001.parquet"))
    payload = [rows["image"][0], {"bytes": b"this is a text file, not a JPEG\n", "path": "notes.txt"}, rows["image"][1]]
    datasets.Dataset.from_dict({"image": payload, "label": [0, 1, 2]}, features=features).to_parquet(
        str(bad / "not-an-image" / "data" / "train-00000-of-00001.parquet"), batch_size=2)


def label_map(img: Image.Image) -> Image.Image:
    """A mode-L annotation: grey levels quantised into classes 0..150 (0 = 'other', ADE's background)."""
    grey = np.asarray(img.convert("L"), dtype=np.int32)
    classes = np.where(grey < 40, 0, 1 + (grey * 7) // 256 * 20 + (np.arange(grey.shape[1])[None, :] * 3) // grey.shape[1])
    return Image.fromarray(classes.astype(np.uint8), mode="L")


def nearest_patch_labels(seg: Image.Image, resize: str, size: int, crop, patch: int) -> list:
    w, h = seg.size
    if resize == "squash":
        new = (size, size)
    else:  # torchvision Resize(int): short side = size, long side int(size * long / short)
        short, long = min(w, h), max(w, h)
        new_long = int(size * long / short)
        new = (size, new_long) if w <= h else (new_long, size)
    out = seg.resize(new, Image.NEAREST)
    if crop is not None:
        top = int(round((out.height - crop) / 2.0))
        left = int(round((out.width - crop) / 2.0))
        out = out.crop((left, top, left + crop, top + crop))
    arr = np.asarray(out, dtype=np.int64)
    gh, gw = arr.shape[0] // patch, arr.shape[1] // patch
    labels = []
    for r in range(gh):
        for c in range(gw):
            block = arr[r * patch:(r + 1) * patch, c * patch:(c + 1) * patch].reshape(-1)
            labels.append(int(np.bincount(block, minlength=256).argmax()))
    return labels


SPECS = {
    "clip-224-16": ("shortest", 224, 224, 16),
    "squash-64-8": ("squash", 64, None, 8),
}


def make_ade20k(expected: dict) -> None:
    root = OUT / "ade20k"
    shutil.rmtree(root, ignore_errors=True)
    splits = {"training": ("ADE_train", PHOTOS[:6]), "validation": ("ADE_val", PHOTOS[6:9])}
    scenes = {}
    lines = []
    for split, (prefix, photos) in reversed(list(splits.items())):  # validation lines first
        (root / "images" / split).mkdir(parents=True)
        (root / "annotations" / split).mkdir(parents=True)
        for k, photo in enumerate(photos):
            stem = f"{prefix}_{k + 1:08d}"
            img = Image.open(io.BytesIO(small_jpeg(photo, 72 + 4 * k)))
            (root / "images" / split / f"{stem}.jpg").write_bytes(small_jpeg(photo, 72 + 4 * k))
            label_map(img).save(root / "annotations" / split / f"{stem}.png")
            scene = photo.parent.name + ("_indoor" if k % 2 else "")
            scenes[stem] = scene
            lines.append(f"{stem} {scene}\n")
    (root / "sceneCategories.txt").write_text("".join(lines))
    label_set = sorted(set(scenes.values()))
    out = {"labels": label_set}
    for split in splits:
        items = []
        for i, path in enumerate(sorted((root / "images" / split).iterdir())):
            seg = Image.open(root / "annotations" / split / (path.stem + ".png"))
            assert seg.mode == "L"
            items.append({
                "index": i, "stem": path.stem, "label": scenes[path.stem], "target": label_set.index(scenes[path.stem]),
                **rgb_sha(Image.open(path)),
                "seg_sha256": hashlib.sha256(seg.tobytes()).hexdigest(),
                "patch_labels": {name: nearest_patch_labels(seg, *spec[:3], spec[3]) for name, spec in SPECS.items()},
            })
        out[split] = items
    out["specs"] = {name: {"resize": s[0], "resizeSize": s[1], "cropSize": s[2], "patchSize": s[3]} for name, s in SPECS.items()}
    expected["ade20k"] = out


def make_dataset_like_torchvision(root: pathlib.Path) -> list:
    """torchvision.datasets.folder.make_dataset's order (torchvision itself is not needed for it):
    classes sorted, then sorted(os.walk(class, followlinks=True)), files sorted, IMG_EXTENSIONS only."""
    ext = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    out = []
    for t, c in enumerate(classes):
        for r, _, fnames in sorted(os.walk(root / c, followlinks=True)):
            for f in sorted(fnames):
                if f.lower().endswith(ext):
                    out.append((os.path.join(r, f), t))
    return out


def make_image_folder(expected: dict) -> None:
    root = OUT / "image-folder"
    shutil.rmtree(root, ignore_errors=True)
    formats = [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp"), ("BMP", ".BMP")]
    for i, photo in enumerate(PHOTOS[:8]):
        fmt, ext = formats[i % 4]
        cls = root / photo.parent.name / ("nested" if i == 3 else "")
        cls.mkdir(parents=True, exist_ok=True)
        img = Image.open(io.BytesIO(small_jpeg(photo, 24)))
        if fmt == "PNG" and i % 2 == 1:
            img = img.convert("L")
        kwargs = {"lossless": True} if fmt == "WEBP" else {}
        img.save(cls / f"{photo.stem}{ext}", format=fmt, **kwargs)
    (root / "animal" / "notes.txt").write_text("not an image\n")
    (root / "space" / "thumbs.db").write_bytes(b"\0\1\2")
    items = make_dataset_like_torchvision(root)
    expected["image-folder"] = {
        "classes": sorted(p.name for p in root.iterdir() if p.is_dir()),
        "nSkipped": 2,
        "items": [{"index": i, "file": str(pathlib.Path(p).relative_to(root)), "target": t, **rgb_sha(Image.open(p))} for i, (p, t) in enumerate(items)],
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {"producers": {"datasets": datasets.__version__, "pyarrow": pyarrow.__version__, "pillow": PIL.__version__}}
    make_imagenet(expected)
    make_ade20k(expected)
    make_image_folder(expected)
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
