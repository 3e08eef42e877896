"""Generate test vectors for saev's shard-directory hash and metadata.json text.

saev names each activation shard directory by

    hashlib.sha256(json.dumps(md, sort_keys=True).encode("utf-8")).hexdigest()

and writes ``metadata.json`` with ``json.dump(md, fd, indent=4)`` (default
``ensure_ascii=True``, dict insertion order).  saev-tfjs must reproduce both byte
for byte, so this script writes ``test/fixtures/metadata-hash-vectors.json``: a
JSON list of cases

    {"name": str, "value": TAGGED, "dumps": str, "sha256": str, "indent4": str}

where ``dumps = json.dumps(value, sort_keys=True)``, ``sha256`` is the hex digest
of ``dumps`` encoded as UTF-8, and ``indent4 = json.dumps(value, indent=4)``
(NO sort_keys, insertion order, exactly as ``json.dump`` in saev).

A JavaScript JSON reader cannot tell ``1.0`` from ``1`` nor hold integers beyond
2**53, so ``value`` is stored in a tagged form:

* Python float  -> {"$float": repr(x)}   ("nan", "inf", "-inf" for non-finite)
* Python int with abs(x) >= 2**53 -> {"$int": str(x)}  (not exactly a JS safe integer)
* any other int -> plain JSON number
* a dict with an integer-like key ("10") -> {"$dict": [[key, value], ...]}, because a
  JavaScript object lists such keys first and would lose Python's insertion order
* str / bool / None / list / other dicts -> plain JSON (dict keys in insertion order)

Run: python3 scripts/make-hash-vectors.py   (standard library only, no network;
output is deterministic).
"""

import hashlib
import json
import math
import pathlib

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "metadata-hash-vectors.json"

EXPECTED_IMAGENET_SHA = "3959e531322347c5f00f14348b4e4264869a91f0d4325282767bb6a6dbccf2b4"


def tag(x):
    """Encode a Python value in the tagged form described in the docstring."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int):
        return {"$int": str(x)} if abs(x) >= 2**53 else x
    if isinstance(x, float):
        if math.isnan(x):
            return {"$float": "nan"}
        if math.isinf(x):
            return {"$float": "inf" if x > 0 else "-inf"}
        return {"$float": repr(x)}
    if isinstance(x, list):
        return [tag(v) for v in x]
    if isinstance(x, dict):
        for k in x:
            assert isinstance(k, str), k
            assert k not in ("$float", "$int", "$dict"), k
        if any(is_array_index(k) for k in x):
            return {"$dict": [[k, tag(v)] for k, v in x.items()]}
        return {k: tag(v) for k, v in x.items()}
    raise TypeError(type(x))


def is_array_index(key):
    """Keys that JavaScript objects order numerically before all others."""
    return key.isascii() and key.isdigit() and (key == "0" or not key.startswith("0")) and int(key) < 2**32 - 1


def untag(x):
    """Inverse of tag(); used to self-check the encoding."""
    if isinstance(x, list):
        return [untag(v) for v in x]
    if isinstance(x, dict):
        if set(x) == {"$float"}:
            return float(x["$float"])
        if set(x) == {"$int"}:
            return int(x["$int"])
        if set(x) == {"$dict"}:
            return {k: untag(v) for k, v in x["$dict"]}
        return {k: untag(v) for k, v in x.items()}
    return x


def saev_md(**over):
    """saev's metadata layout with its ten fields in saev's order."""
    md = {
        "vit_family": "clip",
        "vit_ckpt": "ViT-B-16/openai",
        "layers": [-2],
        "n_patches_per_img": 196,
        "cls_token": True,
        "d_vit": 768,
        "seed": 42,
        "n_imgs": 1281167,
        "n_patches_per_shard": 2400000,
        "data": "ImagenetDataset(name='ILSVRC/imagenet-1k', split='train')",
    }
    for k, v in over.items():
        assert k in md, k
        md[k] = v
    return md


def cases():
    yield "saev-imagenet-clip", saev_md()
    yield "saev-layers-two", saev_md(layers=[-2, -1])
    yield "saev-layers-three-imagefolder", saev_md(
        layers=[0, 5, 11],
        data="ImageFolderDataset(root='./data/split')",
        n_imgs=5000,
    )
    yield "saev-layers-empty-no-cls-ade20k", saev_md(
        layers=[],
        cls_token=False,
        vit_family="dinov2",
        vit_ckpt="dinov2_vitb14_reg",
        n_patches_per_img=256,
        data="Ade20kDataset(root='./data/ade20k', split='training')",
        n_imgs=20210,
    )
    md = saev_md(vit_family="siglip", vit_ckpt="hf-hub:timm/ViT-L-16-SigLIP-256", d_vit=1024, layers=[23])
    md["dtype"] = "float16"
    yield "saev-dtype-after-data", md

    yield "non-ascii-strings", saev_md(
        vit_ckpt="modèle-é/Ünïcödé",
        data="ImageFolderDataset(root='/données/猫')",
    )
    yield "unicode-and-escapes", {
        "accent": "é",
        "cjk": "猫と犬の画像",
        "emoji_astral": "cat 😺 done",
        "path": "/données/猫",
        "quotes_backslash": 'say "hi" \\ C:\\dir\\file',
        "tab_newline_cr": "a\tb\nc\rd",
        "control": "".join(chr(i) for i in range(0x00, 0x20)),
        "del_7f": "x\x7fy",
        "c1_0x80_0x9f": "\x80\x85\x9f",
        "line_sep_2028_2029": "a\u2028b\u2029c",
        "bmp_high_fffd_ffff": "\ufffd\uffff",
        "slash": "a/b</script>",
    }
    yield "floats", {
        "pt1": 0.1,
        "one": 1.0,
        "neg_zero": -0.0,
        "em5": 1e-05,
        "em7": 1e-7,
        "big_exact": 123456789.0,
        "e16": 1e16,
        "e15": 1e15,
        "huge": 1.5e300,
        "denorm_min": 5e-324,
        "two_half": 2.5,
        "third": 1 / 3,
        "nan": float("nan"),
        "inf": float("inf"),
        "neg_inf": float("-inf"),
        "list": [1.0, 1, -0.0, 0, 0.5, 1e22, 1e21, 1e-4, 0.0001234],
    }
    yield "large-integers", {
        "p53": 2**53,
        "p53_plus_1": 2**53 + 1,
        "neg_p53": -(2**53),
        "p64": 2**64,
        "neg_p70": -(2**70),
        "e30": 10**30,
        "list": [2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, -(2**63)],
        "zero": 0,
        "neg": -7,
    }
    yield "nested-key-sorting", {
        "zeta": {"b": 1, "a": {"y": [3, {"k2": 2, "k1": 1}], "x": None}, "B": 2, "A": 3},
        "Zeta": "upper Z",
        "alpha": [],
        "Alpha": {},
        "_under": 1,
        "10": "ten",
        "9": "nine",
        "é": "e-acute",
        "e": "e",
        "猫": "cat",
        "😺": "astral (U+1F63A, surrogates D83D DE3A in UTF-16)",
        "\uff01": "fullwidth ! U+FF01 (sorts before astral by code point, after by UTF-16 unit)",
        "": "empty key",
        " ": "space key",
        "a b": "space inside",
    }
    yield "null-and-bools-in-list", {
        "items": [None, True, False, 0, 1, "", [], {}, [None, [True]]],
        "flag": False,
        "nothing": None,
    }
    yield "empty-dict", {}
    yield "top-level-list", [1, "two", 3.0, None, True, {"b": 1, "a": 2}]


def main():
    out = []
    names = set()
    for name, value in cases():
        assert name not in names, name
        names.add(name)
        dumps = json.dumps(value, sort_keys=True)
        sha = hashlib.sha256(dumps.encode("utf-8")).hexdigest()
        indent4 = json.dumps(value, indent=4)
        tagged = tag(value)
        # Self-check: untagging reproduces the same JSON text.
        back = untag(json.loads(json.dumps(tagged)))
        assert json.dumps(back, sort_keys=True) == dumps, name
        assert json.dumps(back, indent=4) == indent4, name
        out.append({"name": name, "value": tagged, "dumps": dumps, "sha256": sha, "indent4": indent4})

    assert out[0]["name"] == "saev-imagenet-clip"
    assert out[0]["sha256"] == EXPECTED_IMAGENET_SHA, out[0]["sha256"]

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as fd:
        json.dump(out, fd, indent=2, ensure_ascii=False)
        fd.write("\n")
    print(f"wrote {len(out)} cases to {OUT}")


if __name__ == "__main__":
    main()
