"""Generate test vectors for saev's shard protocol 2.1 (saev at commit 3d73f1f, `saev/data/shards.py`).

Protocol 2.1 writes `metadata.json` as orjson writes the `Metadata` dataclass (13 fields in class order,
`OPT_INDENT_2`, paths through `str`, the `PixelAgg` enum as its value), names the directory by the first 8 hex
digits of sha256 over the compact orjson bytes of the same dataclass (its `OPT_SORT_KEYS` leaves dataclass
fields in class order), and stores the dataset config in `data` as base64 of `pickle.dumps(cfg)`. saev-tfjs
reproduces all three in TypeScript; this script writes `test/fixtures/protocol-v21-vectors.json`:

    {
      "python": "3.12.1", "orjson": "3.x",
      "configs":  [{"name", "config": {"kind", ...}, "pickle_hex", "opcodes", "base64", "dataset", "repr"}, ...],
      "metadata": [{"name", "fields": {...13 fields, data as base64...}, "indent2", "compact", "hash"}, ...],
      "shards_json": [{"name", "records": [...], "indent2"}, ...]
    }

Stand-ins: saev's dataset configs (`saev.data.datasets.ImgFolder`, `Imagenet`, `ImgSegFolder`, `FakeImg`) and
`Metadata` import torch; the stand-ins here are plain frozen dataclasses with saev's module name, class names,
field names, order and defaults, which is all that `pickle` and `orjson` look at. The interop test
(scripts/saev-v21-interop.py) checks the same bytes against saev's real classes.

Object identity matters to pickle (a second reference to one object is a memo lookup, `BINGET`), so the
configs are built the way saev's command line builds them: pathlib interns path parts (`sys.intern`), field
names are interned, `ImgSegFolder.split` is a `Literal` choice (an interned constant), and the other strings
(`Imagenet.name`/`split`, `labels_csv`) are fresh objects. CPython shares one object per 1-character Latin-1
string. Python 3.13 pickles paths differently (`pathlib._local`, one string), so this must run on 3.12.

Run: python3.12 scripts/make-protocol-vectors.py   (needs orjson; deterministic, no network).
"""

import base64
import dataclasses
import enum
import hashlib
import json
import pathlib
import pickle
import pickletools
import sys
import types
import typing as tp

import orjson

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "protocol-v21-vectors.json"

assert sys.version_info[:2] == (3, 12), f"run with Python 3.12 (pickle of pathlib differs elsewhere), not {sys.version}"

for name in ("saev", "saev.data", "saev.data.datasets", "saev.data.shards"):
    sys.modules.setdefault(name, types.ModuleType(name))
DATASETS = sys.modules["saev.data.datasets"]
SHARDS = sys.modules["saev.data.shards"]


def in_module(module):
    def register(cls):
        cls.__module__ = module.__name__
        setattr(module, cls.__name__, cls)
        return cls

    return register


@in_module(DATASETS)
@dataclasses.dataclass(frozen=True)
class Imagenet:
    name: str = "ILSVRC/imagenet-1k"
    split: str = "train"


@in_module(DATASETS)
@dataclasses.dataclass(frozen=True)
class ImgFolder:
    root: pathlib.Path = pathlib.Path("./data/split")


@in_module(DATASETS)
@dataclasses.dataclass(frozen=True)
class ImgSegFolder:
    root: pathlib.Path = pathlib.Path("./data/segdataset")
    split: tp.Literal["training", "validation"] = "training"
    labels_csv: str = "labels.csv"
    bg_label: int = 0


@in_module(DATASETS)
@dataclasses.dataclass(frozen=True)
class FakeImg:
    n_examples: int = 10


@in_module(SHARDS)
class PixelAgg(enum.Enum):
    MAJORITY = "majority"
    PREFER_FG = "prefer-fg"


@in_module(SHARDS)
@dataclasses.dataclass(frozen=True, kw_only=True)
class Metadata:
    family: str
    ckpt: str
    layers: tuple[int, ...]
    content_tokens_per_example: int
    cls_token: bool
    d_model: int
    n_examples: int
    max_tokens_per_shard: int
    data: str
    dataset: pathlib.Path
    pixel_agg: PixelAgg = PixelAgg.MAJORITY
    dtype: str = "float32"
    protocol: str = "2.1"


def fresh(text: str) -> str:
    """A new str object equal to `text` (as a command-line parser makes it), never an interned constant."""
    return "".join(list(text)) if len(text) > 1 else text


def make_config(spec: dict):
    kind = spec["kind"]
    if kind == "image-folder":
        return ImgFolder(root=pathlib.Path(fresh(spec["root"])))
    if kind == "imagenet":
        return Imagenet(name=fresh(spec["name"]), split=fresh(spec["split"]))
    if kind == "ade20k":
        return ImgSegFolder(root=pathlib.Path(fresh(spec["root"])), split=sys.intern(spec["split"]), labels_csv=fresh("labels.csv"), bg_label=0)
    if kind == "fake":
        return FakeImg(n_examples=spec["n"])
    raise ValueError(kind)


def jdefault(obj):
    if isinstance(obj, pathlib.Path):
        return str(obj)
    raise TypeError


MANY = "/" + "/".join(f"p{i}" for i in range(300)) + "/p299/p7"
CONFIGS = [
    ("image-folder-absolute", {"kind": "image-folder", "root": "/data/photos"}),
    ("image-folder-relative-dot", {"kind": "image-folder", "root": "./data/split"}),
    ("image-folder-dot", {"kind": "image-folder", "root": "."}),
    ("image-folder-empty", {"kind": "image-folder", "root": ""}),
    ("image-folder-slash", {"kind": "image-folder", "root": "/"}),
    ("image-folder-two-parts", {"kind": "image-folder", "root": "/a"}),
    ("image-folder-repeats-and-key", {"kind": "image-folder", "root": "/root/photos/root/a/a"}),
    ("image-folder-double-slash", {"kind": "image-folder", "root": "//net/share"}),
    ("image-folder-triple-slash-messy", {"kind": "image-folder", "root": "///x//y/./z/../w/"}),
    ("image-folder-dotdot", {"kind": "image-folder", "root": "../x/.."}),
    ("image-folder-non-ascii", {"kind": "image-folder", "root": "/données/猫/😺 photos/é"}),
    ("image-folder-long-part", {"kind": "image-folder", "root": "/tmp/" + "x" * 300 + "/y"}),
    ("image-folder-many-parts", {"kind": "image-folder", "root": MANY}),
    ("image-folder-quotes", {"kind": "image-folder", "root": "/it's/\"q\"/back\\slash"}),
    ("imagenet-default", {"kind": "imagenet", "name": "ILSVRC/imagenet-1k", "split": "train"}),
    ("imagenet-validation", {"kind": "imagenet", "name": "timm/imagenet-1k-wds", "split": "validation"}),
    ("ade20k-training", {"kind": "ade20k", "root": "/data/ADEChallengeData2016", "split": "training"}),
    ("ade20k-split-in-path", {"kind": "ade20k", "root": "/x/validation/ADE", "split": "validation"}),
    ("ade20k-key-names-in-path", {"kind": "ade20k", "root": "/root/labels.csv/split/bg_label", "split": "training"}),
    ("ade20k-relative", {"kind": "ade20k", "root": "ADEChallengeData2016", "split": "validation"}),
    ("fake-10", {"kind": "fake", "n": 10}),
    ("fake-255", {"kind": "fake", "n": 255}),
    ("fake-256", {"kind": "fake", "n": 256}),
    ("fake-65535", {"kind": "fake", "n": 65535}),
    ("fake-65536", {"kind": "fake", "n": 65536}),
    ("fake-2p31-minus-1", {"kind": "fake", "n": 2**31 - 1}),
    ("fake-2p31", {"kind": "fake", "n": 2**31}),
    ("fake-2p40", {"kind": "fake", "n": 2**40 + 5}),
]


def metadata_cases():
    imagenet = make_config({"kind": "imagenet", "name": "ILSVRC/imagenet-1k", "split": "train"})
    folder = make_config({"kind": "image-folder", "root": "/données/photos"})
    ade = make_config({"kind": "ade20k", "root": "/data/ADEChallengeData2016", "split": "validation"})
    fake = make_config({"kind": "fake", "n": 16})
    b64 = lambda cfg: base64.b64encode(pickle.dumps(cfg)).decode("utf8")  # noqa: E731
    base = dict(family="clip", ckpt="ViT-B-16/openai", layers=(-2,), content_tokens_per_example=196, cls_token=True, d_model=768)
    yield "imagenet-clip", dict(base, n_examples=1281167, max_tokens_per_shard=2400000, data=b64(imagenet), dataset=imagenet_root(imagenet))
    yield "folder-dinov2-two-layers", dict(base, family="dinov2", ckpt="./models/dinov2-b14-reg", layers=(-2, -1), content_tokens_per_example=256, n_examples=10, max_tokens_per_shard=317, data=b64(folder), dataset=folder.root)
    yield "ade20k-siglip-no-cls-prefer-fg", dict(base, family="siglip", ckpt="hf-hub:timm/ViT-L-16-SigLIP-256", layers=(0, 5, 23), cls_token=False, content_tokens_per_example=256, d_model=1024, n_examples=2000, max_tokens_per_shard=10_000_000, data=b64(ade), dataset=ade.root, pixel_agg=PixelAgg.PREFER_FG)
    yield "fake-pe-core-empty-layers", dict(base, family="pe-core", ckpt="random:ViT-B-16@7", layers=(), n_examples=16, max_tokens_per_shard=2**40, data=b64(fake), dataset=pathlib.Path("fake"))
    escapes = "".join(chr(i) for i in range(0x20)) + "\x7f \"quote\" \\back/slash é 猫 😺 \u2028\u2029 \ufeff\uffff"
    yield "escapes-in-strings", dict(base, family="dinov3", ckpt=escapes, n_examples=1, max_tokens_per_shard=197, data=b64(folder), dataset=pathlib.Path("/é/" + escapes.replace("/", "")))


def imagenet_root(cfg) -> pathlib.Path:
    return pathlib.Path(cfg.name)  # saev's Imagenet.root


def repr_of(cfg) -> str:
    return repr(cfg)


def main():
    out = {"python": sys.version.split()[0], "orjson": orjson.__version__, "configs": [], "metadata": [], "shards_json": []}
    for name, spec in CONFIGS:
        cfg = make_config(spec)
        data = pickle.dumps(cfg)
        assert pickle.loads(data) == cfg, name
        root = {"imagenet": lambda c: imagenet_root(c), "fake": lambda c: pathlib.Path("fake")}.get(spec["kind"], lambda c: c.root)(cfg)
        opcodes = sorted({op.name for op, _, _ in pickletools.genops(data)})
        out["configs"].append({"name": name, "config": spec, "pickle_hex": data.hex(), "opcodes": opcodes, "base64": base64.b64encode(data).decode("utf8"), "dataset": str(root), "repr": repr_of(cfg)})
    for name, fields in metadata_cases():
        md = Metadata(**fields)
        indent2 = orjson.dumps(md, option=orjson.OPT_INDENT_2, default=jdefault)
        compact = orjson.dumps(md, option=orjson.OPT_SORT_KEYS, default=jdefault)
        assert compact == orjson.dumps(md, default=jdefault), "OPT_SORT_KEYS must leave dataclass fields in class order"
        plain = json.loads(indent2)
        assert list(plain) == [f.name for f in dataclasses.fields(Metadata)], name
        out["metadata"].append({"name": name, "fields": plain, "indent2": indent2.decode("utf8"), "compact": compact.decode("utf8"), "hash": hashlib.sha256(compact).hexdigest()[:8]})
    for name, counts in (("three-shards", [3, 3, 1]), ("one-shard", [5]), ("large", [12182, 12182, 7])):
        records = [{"name": f"acts{k:06}.bin", "n_examples": n} for k, n in enumerate(counts)]
        out["shards_json"].append({"name": name, "records": records, "indent2": orjson.dumps(records, option=orjson.OPT_INDENT_2).decode("utf8")})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as fd:
        json.dump(out, fd, indent=1, ensure_ascii=True)
        fd.write("\n")
    print(f"wrote {len(out['configs'])} configs, {len(out['metadata'])} metadata and {len(out['shards_json'])} shards.json cases to {OUT}")


if __name__ == "__main__":
    main()
