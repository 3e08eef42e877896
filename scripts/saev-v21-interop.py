"""Proof that today's saev reads saev-tfjs's protocol-2.1 shards (`extract --format saev-2.1`) with its own code.

saev's current code is not on PyPI (PyPI has only saev 0.1.0), so `check` imports it from a source directory
that holds the `saev` package (`--saev-src`, or the environment variable SAEV_V21_SRC), e.g. a checkout of
github.com/OSU-NLP-Group/saev's `src/` at commit 3d73f1f. For each shard directory it checks, and reports as JSON:

  * `Metadata.load` accepts the directory and `Metadata.hash` equals its name;
  * `make_data_cfg()` equals the expected dataset config (built here with saev's own classes), the file's `data`
    is byte for byte `base64(pickle.dumps(that config))` in this Python, and `dataset` is `str(config.root)`;
  * a `Metadata` built here from the same run (what saev's `worker_fn` would make) has the same hash, and its
    `dump` writes the same bytes as our `metadata.json`; `ShardInfo.dump` writes the same `shards.json`;
  * `ShardInfo.load`/`validate` pass, and saev's `IndexedDataset` (content and CLS tokens of every layer),
    `OrderedDataLoader` (the last layer) and `ShuffledDataLoader` (every layer) return exactly the values numpy
    reads from the raw files, with their example and token indices; with `labels.bin`, the labels they return
    equal the file, and `ShuffledDataLoader(ignore_labels=[0])` returns exactly the tokens not labelled 0;
  * with `--expect`'s `labels` geometry, `labels.bin` equals saev's `pixel_to_patch_labels` (with the file's
    `pixel_agg`) over the annotation maps resized and cropped as the model's images were.

One difference is reported under "known", not failed: saev's `IndexMap.from_global(("special", layer))` takes the
row within a shard as `idx // examples_per_shard` (it should be `%`), so its CLS items outside shard 0 come from the
wrong row; the check confirms those items equal the file at saev's own coordinates.

  python3.12 scripts/saev-v21-interop.py setup <venv>    # Python 3.12 venv: torch==2.13.0 (PyPI, CUDA build, ~5 GB
                                                         # with its nvidia wheels; runs on the CPU) and the rest
  <venv>/bin/python scripts/saev-v21-interop.py check expect.json [expect.json ...] [--saev-src DIR]

prints {"reports": [{"shardDir", "checked", "known", "failures"}, ...]} and exits 1 on any failure. Each
`expect.json`: {"shard_dir", "data": {"kind": "image-folder"|"imagenet"|"ade20k"|"fake", "root", "name", "split", "n"},
"family", "ckpt", "layers", "content_tokens_per_example", "cls_token", "d_model", "n_examples",
"max_tokens_per_shard", "pixel_agg", "labels": null | {"resize": "shortest"|"squash", "resize_size",
"crop_size" (or null), "patch_size", "annotations": [paths in dataset order]}}. saev's `torchvision` imports are
not used by these readers; where torchvision does not import, a stand-in module takes its place.
"""

import argparse
import base64
import json
import os
import pathlib
import pickle
import subprocess
import sys
import tempfile
import time

from torchvision_stand_in import use_stand_in_if_needed  # this script's folder is on sys.path

PIP_DEPS = ["torch==2.13.0", "numpy", "beartype", "jaxtyping", "orjson", "requests", "scipy", "einops", "pillow", "safetensors", "tqdm", "ftfy", "regex"]
NO_DEPS = ["open_clip_torch", "timm"]
IMPORTS = "import torch, numpy, beartype, jaxtyping, orjson, requests, scipy, einops, PIL, safetensors, open_clip, timm"


def setup(venv: str) -> None:
    start = time.time()
    assert sys.version_info[:2] == (3, 12), f"run setup with Python 3.12, not {sys.version.split()[0]}"
    python = os.path.join(venv, "bin", "python")
    if os.path.exists(python) and subprocess.run([python, __file__, "probe"], capture_output=True).returncode == 0:
        print(f"saev-v21-interop: {venv} is ready", file=sys.stderr)
        return
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [python, "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + PIP_DEPS, check=True)
    subprocess.run(pip + ["--no-deps"] + NO_DEPS, check=True)
    subprocess.run([python, __file__, "probe"], check=True)
    print(f"saev-v21-interop: {venv} ready in {time.time() - start:.0f} s", file=sys.stderr)


def probe() -> None:
    """Imports everything saev's readers import (with the torchvision stand-in where needed)."""
    use_stand_in_if_needed()
    exec(IMPORTS)


def import_saev(src: str):
    use_stand_in_if_needed()
    sys.path.insert(0, src)
    import saev.data
    import saev.data.datasets
    import saev.data.shards

    assert pathlib.Path(saev.__file__).resolve().is_relative_to(pathlib.Path(src).resolve()), f"saev imported from {saev.__file__}, not {src}"
    return saev


def fresh(text: str) -> str:
    """A new str object (as saev's command line makes it), never an interned constant."""
    return "".join(list(text)) if len(text) > 1 else text


def make_config(datasets, spec: dict):
    kind = spec["kind"]
    if kind == "image-folder":
        return datasets.ImgFolder(root=pathlib.Path(fresh(spec["root"])))
    if kind == "imagenet":
        return datasets.Imagenet(name=fresh(spec["name"]), split=fresh(spec["split"]))
    if kind == "ade20k":
        return datasets.ImgSegFolder(root=pathlib.Path(fresh(spec["root"])), split=sys.intern(spec["split"]), labels_csv=fresh("labels.csv"), bg_label=0)
    if kind == "fake":
        return datasets.FakeImg(n_examples=spec["n"])
    raise ValueError(kind)


class Report:
    def __init__(self, shard_dir: str):
        self.doc = {"shardDir": shard_dir, "checked": [], "known": [], "failures": []}

    def check(self, ok: bool, what: str, why: str = "") -> bool:
        (self.doc["checked"] if ok else self.doc["failures"]).append(what if ok else f"{what}: {why}")
        return ok

    def known(self, what: str) -> None:
        self.doc["known"].append(what)


def read_shards(shard_dir: pathlib.Path, md):
    """Every row of every shard, padding included, float32 [n_shards * examples_per_shard, L, T, D], read with numpy."""
    import numpy as np

    return np.concatenate([np.fromfile(shard_dir / f"acts{k:06}.bin", dtype="<f4").reshape(md.shard_shape) for k in range(md.n_shards)])


def check_all(expect_paths: list[str], src: str) -> int:
    """Checks each described directory in one process (saev and torch import once); prints {"reports": [...]}."""
    saev = import_saev(src)
    reports = [check(saev, json.loads(pathlib.Path(p).read_text())) for p in expect_paths]
    print(json.dumps({"reports": reports}, indent=1))
    failures = [f"{rep['shardDir']}: {line}" for rep in reports for line in rep["failures"]]
    for line in failures:
        print(f"saev-v21-interop: FAIL {line}", file=sys.stderr)
    return 1 if failures else 0


def check(saev, expect: dict) -> dict:
    import numpy as np

    shards, datasets = saev.data.shards, saev.data.datasets
    shard_dir = pathlib.Path(expect["shard_dir"])
    r = Report(str(shard_dir))

    md = shards.Metadata.load(shard_dir)
    r.check(True, "Metadata.load")
    r.check(md.hash == shard_dir.name, "Metadata.hash equals the directory name", f"{md.hash} != {shard_dir.name}")
    expected = make_config(datasets, expect["data"])
    got = md.make_data_cfg()
    r.check(type(got) is type(expected) and got == expected, f"make_data_cfg() == {expected!r}", repr(got))
    data = base64.b64encode(pickle.dumps(expected)).decode("utf8")
    r.check(md.data == data, "data is base64(pickle.dumps(config)) byte for byte", f"{md.data} != {data}")
    root = expected.root if expect["data"]["kind"] != "fake" else pathlib.Path("fake")
    r.check(md.dataset == root, "dataset == config.root", f"{md.dataset} != {root}")

    fields = {k: expect[k] for k in ("family", "ckpt", "content_tokens_per_example", "cls_token", "d_model", "n_examples", "max_tokens_per_shard")}
    ours = shards.Metadata(**fields, layers=tuple(expect["layers"]), data=data, dataset=root, pixel_agg=shards.PixelAgg(expect["pixel_agg"]))
    r.check(ours.hash == shard_dir.name, "a Metadata built from the same run hashes to the directory name", ours.hash)
    with tempfile.TemporaryDirectory() as tmp:
        shards_root = pathlib.Path(tmp, "saev", "shards")
        shards_root.mkdir(parents=True)
        ours.dump(shards_root)
        same = (shards_root / ours.hash / "metadata.json").read_bytes() == (shard_dir / "metadata.json").read_bytes()
        r.check(same, "Metadata.dump writes our metadata.json byte for byte")
        info = shards.ShardInfo.load(shard_dir)
        info.validate(shard_dir)
        r.check(True, "ShardInfo.load and validate")
        info.dump(shards_root / ours.hash)
        same = (shards_root / ours.hash / "shards.json").read_bytes() == (shard_dir / "shards.json").read_bytes()
        r.check(same, "ShardInfo.dump writes our shards.json byte for byte")
    counts = [min(md.examples_per_shard, md.n_examples - k * md.examples_per_shard) for k in range(md.n_shards)]
    r.check([s.n_examples for s in info] == counts, f"shards.json counts {counts}", str([s.n_examples for s in info]))

    full = read_shards(shard_dir, md)
    raw = full[: md.n_examples]
    cls = int(md.cls_token)
    P, D = md.content_tokens_per_example, md.d_model
    labels = None
    if (shard_dir / "labels.bin").exists():
        labels = np.fromfile(shard_dir / "labels.bin", dtype=np.uint8).reshape(md.n_examples, P)
    r.check((labels is not None) == (expect["labels"] is not None), "labels.bin exists exactly for segmentation data")

    for slot, layer in enumerate(md.layers):
        content = raw[:, slot, cls:, :].reshape(-1, D)
        check_indexed(r, saev, shard_dir, layer, content, labels, P)
        if md.cls_token:
            check_indexed_cls(r, saev, shard_dir, md, layer, slot, full)
        # Last layer only: an ordered epoch costs 5 s, as saev's manager process sleeps 60 s after it (so its
        # tensors outlive the transfer) and shutdown waits 5 s before killing it.
        if slot == len(md.layers) - 1:
            check_ordered(r, saev, shard_dir, layer, content, labels, P)
        check_shuffled(r, saev, shard_dir, layer, content, labels, P, ignore=[])
        if labels is not None:
            check_shuffled(r, saev, shard_dir, layer, content, labels, P, ignore=[0])
    if expect["labels"] is not None and labels is not None:
        check_labels(r, shards, expect, labels)
    return r.doc


def check_indexed(r, saev, shard_dir, layer, content, labels, P) -> None:
    import numpy as np

    ds = saev.data.IndexedDataset(saev.data.IndexedConfig(shards=shard_dir, tokens="content", layer=layer))
    n = len(ds)
    bad = 0
    for i in range(n):
        ex = ds[i]
        ok = np.array_equal(ex["act"].numpy(), content[i]) and ex["example_idx"] == i // P and ex["token_idx"] == i % P
        if labels is not None:
            ok = ok and ex["token_label"] == int(labels[i // P, i % P])
        bad += 0 if ok else 1
    r.check(n == len(content) and bad == 0, f"IndexedDataset(content, layer {layer}): {n} items exact{' with labels' if labels is not None else ''}", f"len {n}, {bad} differ")


def check_indexed_cls(r, saev, shard_dir, md, layer, slot, full) -> None:
    import numpy as np

    ds = saev.data.IndexedDataset(saev.data.IndexedConfig(shards=shard_dir, tokens="special", layer=layer))
    eps = md.examples_per_shard
    right, at_saev_row, raised, other = 0, 0, 0, 0
    for i in range(len(ds)):
        saev_row = (i // eps) * eps + i // eps  # shard i // eps, row i // eps: saev's IndexMap
        try:
            got = ds[i]["act"].numpy()
        except IndexError:
            raised += 1  # that row is past the shard's end
            continue
        if np.array_equal(got, full[i, slot, 0]):
            right += 1
        elif i // eps < eps and np.array_equal(got, full[saev_row, slot, 0]):
            at_saev_row += 1
        else:
            other += 1
    if at_saev_row or raised:
        r.known(
            f"IndexedDataset(special, layer {layer}): saev's IndexMap takes row idx // examples_per_shard, so {at_saev_row} of {len(ds)} "
            f"CLS items come from that row (each equals the file there) and {raised} raise IndexError"
        )
    r.check(other == 0 and len(ds) == md.n_examples, f"IndexedDataset(special, layer {layer}): {right} CLS items exact, the rest at saev's own coordinates", f"{other} match nothing")


def check_ordered(r, saev, shard_dir, layer, content, labels, P) -> None:
    import numpy as np

    cfg = saev.data.OrderedConfig(shards=shard_dir, layer=layer, batch_size=37, buffer_size=4, batch_timeout_s=60.0)
    acts, ex, tok, lab = [], [], [], []
    for batch in saev.data.OrderedDataLoader(cfg):
        acts.append(batch["act"].numpy())
        ex.append(batch["example_idx"].numpy())
        tok.append(batch["token_idx"].numpy())
        if "token_labels" in batch:
            lab.append(batch["token_labels"].numpy())
    acts, ex, tok = np.concatenate(acts), np.concatenate(ex), np.concatenate(tok)
    n = len(content)
    ok = np.array_equal(acts, content) and np.array_equal(ex, np.arange(n) // P) and np.array_equal(tok, np.arange(n) % P)
    if labels is not None:
        ok = ok and bool(lab) and np.array_equal(np.concatenate(lab), labels.reshape(-1))
    r.check(ok, f"OrderedDataLoader(layer {layer}): {len(acts)} tokens in order, exact{' with labels' if labels is not None else ''}", f"{len(acts)} of {n}")


def check_shuffled(r, saev, shard_dir, layer, content, labels, P, ignore) -> None:
    import numpy as np

    keep = np.ones(len(content), bool) if not ignore else ~np.isin(labels.reshape(-1), ignore)
    want = int(keep.sum())
    # A filtered epoch ends short of the loader's unfiltered count, so take batches that end exactly on it.
    batch_size = max(d for d in range(1, 65) if want % d == 0)
    cfg = saev.data.ShuffledConfig(shards=shard_dir, layer=layer, batch_size=batch_size, buffer_size=4, n_threads=2, seed=3, ignore_labels=ignore, batch_timeout_s=20.0)
    loader = saev.data.ShuffledDataLoader(cfg)
    acts, idx = [], []
    try:
        for batch in loader:
            acts.append(batch["act"].numpy())
            idx.append(batch["example_idx"].numpy() * P + batch["token_idx"].numpy())
            if sum(len(a) for a in acts) >= want:
                break
    finally:
        loader.shutdown()
    acts, idx = np.concatenate(acts), np.concatenate(idx)
    order = np.argsort(idx, kind="stable")
    ok = np.array_equal(idx[order], np.flatnonzero(keep)) and np.array_equal(acts[order], content[keep])
    what = f"ShuffledDataLoader(layer {layer}{', ignore_labels=' + str(ignore) if ignore else ''}): {len(idx)} tokens, each once, exact"
    r.check(ok, what, f"{len(idx)} of {want}")


def check_labels(r, shards, expect, labels) -> None:
    """labels.bin against saev's pixel_to_patch_labels over the maps resized and cropped like the model's images."""
    import numpy as np
    from PIL import Image

    g = expect["labels"]
    agg = shards.PixelAgg(expect["pixel_agg"])
    P = expect["content_tokens_per_example"]
    rows = []
    for file in g["annotations"]:
        seg = Image.open(file)
        w, h = seg.size
        if g["resize"] == "shortest":  # torchvision Resize(int): short side to size, long side int(size * long / short)
            s = g["resize_size"]
            size = (s, int(s * h / w)) if w <= h else (int(s * w / h), s)
        else:
            size = (g["resize_size"], g["resize_size"])
        seg = seg.resize(size, Image.NEAREST)
        if g["crop_size"] is not None:  # torchvision CenterCrop: offsets int(round((H - c) / 2.0))
            c = g["crop_size"]
            top, left = int(round((seg.size[1] - c) / 2.0)), int(round((seg.size[0] - c) / 2.0))
            seg = seg.crop((left, top, left + c, top + c))
        rows.append(shards.pixel_to_patch_labels(seg, P, g["patch_size"], pixel_agg=agg, bg_label=0).numpy())
    want = np.stack(rows)
    r.check(np.array_equal(want, labels), f"labels.bin equals saev's pixel_to_patch_labels ({agg.value}) for {len(rows)} maps", f"{int((want != labels).sum())} labels differ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_setup = sub.add_parser("setup", help="make a Python 3.12 venv with saev's reader dependencies")
    p_setup.add_argument("venv")
    sub.add_parser("probe", help="import saev's reader dependencies (what setup checks)")
    p_check = sub.add_parser("check", help="check protocol-2.1 shard directories with saev's own code")
    p_check.add_argument("expect", nargs="+", help="JSON files, each describing one run and its shard_dir (see above)")
    p_check.add_argument("--saev-src", default=os.environ.get("SAEV_V21_SRC"), help="directory holding the saev package (default: $SAEV_V21_SRC)")
    args = parser.parse_args()
    if args.cmd == "setup":
        setup(args.venv)
        return
    if args.cmd == "probe":
        probe()
        return
    if not args.saev_src:
        sys.exit("saev-v21-interop: no saev source; pass --saev-src or set SAEV_V21_SRC to a directory holding the saev package")
    sys.exit(check_all(args.expect, args.saev_src))


if __name__ == "__main__":
    main()
