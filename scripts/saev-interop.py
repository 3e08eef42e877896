"""Proof that saev itself reads saev-tfjs shards: saev 0.1.0's own `Metadata` and `Dataset` against our reader.

saev 0.1.0 (PyPI, Feb 2025) wrote the format saev-tfjs writes by default (docs/format.md, saev-0.1):
`saev/activations.py` has its `Metadata` (ten fields, `Metadata.load` = `cls(**json.load(f))`, hash = sha256 of
`json.dumps(asdict, sort_keys=True)`) and its
`Dataset(config.DataLoad)` (modes (cls,int) (cls,meanpool) (meanpool,int) (meanpool,meanpool) (patches,int);
`len` for all nine; a fresh `np.memmap` per item; `n_patches_per_img + 1` everywhere).

  python3 scripts/saev-interop.py setup <venv-dir>     # makes a venv with saev==0.1.0 and its minimal deps
  <venv>/bin/python scripts/saev-interop.py compare <shard-dir> [--ours items.json]

`compare` gets our items from `node dist/scripts/dump-reader-items.js <shard-dir>` (after `npm run build`) unless
--ours is given, prints a JSON report on stdout and exits 1 on any unexplained difference. It also checks our
items in all nine modes against numpy reading the raw float32 shards with the true geometry, so a reader bent
towards saev's assumptions would fail even where saev itself cannot be compared. Known, documented
differences are reported under "known", not failed:
  * shards without a CLS token: saev 0.1.0's reader assumes one (`n_patches_per_img + 1`), so it mis-sizes shards;
  * half-precision shards (metadata `dtype`): saev 0.1.0's `Metadata.load` has no `dtype` field and refuses them.

Minimal dependencies: saev 0.1.0 declares altair, datasets, marimo, open-clip-torch, polars, submitit, tyro, ...,
but `saev.activations` needs only torch, numpy, beartype, jaxtyping and pillow at import, plus `torchvision`
for the `ImageFolder` base class. PyPI's torchvision wheels are linked against CUDA torch and fail to load with
the CPU torch wheel, and the reader never uses torchvision, so `compare` puts a two-line stand-in module in
place when the real one does not import. saev itself is installed with --no-deps.
"""

import argparse
import contextlib
import json
import os
import pathlib
import subprocess
import sys
import time
import types

REPO = pathlib.Path(__file__).resolve().parent.parent
PIP_DEPS = ["torch==2.13.0", "numpy", "beartype", "jaxtyping", "pillow"]


def setup(venv: str) -> None:
    start = time.time()
    python = os.path.join(venv, "bin", "python")
    check = "import importlib.metadata as m; assert m.version('saev') == '0.1.0'; import torch, numpy, beartype, jaxtyping, PIL"
    if os.path.exists(python) and subprocess.run([python, "-c", check], capture_output=True).returncode == 0:
        print(f"saev-interop: {venv} already has saev 0.1.0", file=sys.stderr)
        return
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + PIP_DEPS, check=True)
    subprocess.run(pip + ["--no-deps", "saev==0.1.0"], check=True)
    print(f"saev-interop: {venv} ready in {time.time() - start:.0f} s", file=sys.stderr)


def import_saev():
    try:
        import torchvision.datasets  # noqa: F401
    except Exception:
        stub = types.ModuleType("torchvision")
        stub.datasets = types.ModuleType("torchvision.datasets")
        stub.datasets.ImageFolder = type("ImageFolder", (), {})
        sys.modules["torchvision"] = stub
        sys.modules["torchvision.datasets"] = stub.datasets
    import saev.activations
    import saev.config

    return saev.activations, saev.config


def load_ours(shard_dir: str, ours: str | None) -> dict:
    if ours:
        return json.loads(pathlib.Path(ours).read_text())
    script = REPO / "dist" / "scripts" / "dump-reader-items.js"
    out = subprocess.run(["node", str(script), shard_dir], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def compare(shard_dir: str, ours_path: str | None) -> int:
    import numpy as np

    activations, config = import_saev()
    ours = load_ours(shard_dir, ours_path)
    raw = json.loads(pathlib.Path(shard_dir, "metadata.json").read_text())
    report = {"saev": "0.1.0", "shardDir": shard_dir, "checked": [], "known": [], "failures": []}

    try:
        md = activations.Metadata.load(os.path.join(shard_dir, "metadata.json"))
    except TypeError as error:
        if "dtype" in raw:
            report["known"].append(f"saev 0.1.0 Metadata.load refuses dtype={raw['dtype']!r} shards: {error}")
            print(json.dumps(report, indent=1))
            return 0
        raise
    if md.hash != ours["metadataHash"]:
        report["failures"].append(f"Metadata.hash {md.hash} != ours {ours['metadataHash']}")
    else:
        report["checked"].append("Metadata.load and Metadata.hash")
    no_cls = not md.cls_token

    for mode in ours["modes"]:
        name = f"({mode['patches']}, {mode['layer']})"
        cfg = config.DataLoad(shard_root=shard_dir, patches=mode["patches"], layer=mode["layer"], scale_mean=False, scale_norm=False)
        if "error" in mode:
            report["checked"].append(f"{name}: ours refuses ({mode['error']})")
            continue
        try:
            ds = activations.Dataset(cfg)
            n = len(ds)
        except Exception as error:  # noqa: BLE001
            report["failures"].append(f"{name}: saev Dataset failed: {type(error).__name__}: {error}")
            continue
        if n != mode["length"]:
            (report["known"] if no_cls else report["failures"]).append(f"{name}: len {n} != ours {mode['length']}")
        bad, items, unimplemented, errored = 0, 0, False, None
        for k, i in enumerate(mode["indices"]):
            try:
                with contextlib.redirect_stdout(sys.stderr):  # saev prints the mode before assert_never
                    ex = ds[i]
            except AssertionError:
                unimplemented = True
                break
            except Exception as error:  # noqa: BLE001
                errored = f"{type(error).__name__}: {error}"
                break
            items += 1
            theirs = ex["act"].numpy()
            mine = np.asarray(mode["acts"][k], dtype=np.float32)
            single = mode["patches"] != "meanpool" and mode["layer"] != "meanpool"
            same = np.array_equal(theirs, mine) if single else np.allclose(theirs, mine, rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(mine).max())))
            same = same and ex["image_i"] == mode["imageI"][k] and ex["patch_i"] == mode["patchI"][k]
            bad += 0 if same else 1
        if unimplemented:
            report["checked"].append(f"{name}: len {n} equal; saev 0.1.0 has no item access for this mode")
        elif errored or bad:
            what = errored or f"{bad} of {items} items differ"
            (report["known"] if no_cls else report["failures"]).append(f"{name}: {what}" + (" (seed CLS bug: saev assumes a CLS token)" if no_cls else ""))
        else:
            report["checked"].append(f"{name}: len {n} and {items} items equal ({'exact' if mode['patches'] != 'meanpool' and mode['layer'] != 'meanpool' else 'rtol 1e-6, float32 mean order'})")
    check_numpy_reference(shard_dir, md, raw, ours, report)
    check_stats(shard_dir, md, report)
    print(json.dumps(report, indent=1))
    for line in report["failures"]:
        print(f"saev-interop: FAIL {line}", file=sys.stderr)
    return 1 if report["failures"] else 0


def load_acts(shard_dir: str, md, n_tokens: int):
    """The real rows of every shard as float32 [N, L, T, D], from the raw files."""
    import numpy as np

    n_layers = len(md.layers)
    per_shard = md.n_patches_per_shard // n_layers // n_tokens
    shards = sorted(pathlib.Path(shard_dir).glob("acts*.bin"))[: -(-md.n_imgs // per_shard)]
    return np.concatenate([np.fromfile(f, dtype="<f4").reshape(per_shard, n_layers, n_tokens, md.d_vit) for f in shards])[: md.n_imgs]


def reference_item(acts, md, patches: str, layer, i: int):
    """Item i of mode (patches, layer) read straight from [N, L, T, D] with the true token count (CLS or not)."""
    import numpy as np

    n_layers, n_patches, cls = len(md.layers), md.n_patches_per_img, 1 if md.cls_token else 0
    per_img = n_patches if patches == "patches" else 1
    patch, rest = i % per_img, i // per_img
    img, slot = (rest // n_layers, rest % n_layers) if layer == "all" else (rest, None if layer == "meanpool" else md.layers.index(layer))
    x = acts[img] if slot is None else acts[img, slot : slot + 1]  # [L or 1, T, D]
    tokens = {"cls": x[:, 0:1], "meanpool": x[:, cls:], "patches": x[:, cls + patch : cls + patch + 1]}[patches]
    return tokens.astype(np.float64).mean(axis=(0, 1)).astype(np.float32), img, patch if patches == "patches" else -1


def check_numpy_reference(shard_dir: str, md, raw: dict, ours: dict, report: dict) -> None:
    """Our items in every mode against numpy reading the raw files with the true geometry: with no CLS token this is
    what shows our reader was not bent to saev's CLS assumption (float32 shards only)."""
    import numpy as np

    if raw.get("dtype", "float32") != "float32":
        return
    acts = load_acts(shard_dir, md, md.n_patches_per_img + (1 if md.cls_token else 0))
    for mode in ours["modes"]:
        if "error" in mode:
            continue
        name = f"({mode['patches']}, {mode['layer']})"
        single = mode["patches"] != "meanpool" and mode["layer"] != "meanpool"
        bad = 0
        for k, i in enumerate(mode["indices"]):
            want, img, patch = reference_item(acts, md, mode["patches"], mode["layer"], i)
            mine = np.asarray(mode["acts"][k], dtype=np.float32)
            same = np.array_equal(want, mine) if single else np.allclose(want, mine, rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(want).max())))
            bad += 0 if same and mode["imageI"][k] == img and mode["patchI"][k] == patch else 1
        if bad:
            report["failures"].append(f"{name}: {bad} of {len(mode['indices'])} of our items differ from numpy's read of the raw shards")
        else:
            report["checked"].append(f"{name}: our {len(mode['indices'])} items equal numpy's read of the raw shards")


def check_stats(shard_dir: str, md, report: dict) -> None:
    """If `saev activations stats` ran: numpy.load the mean files and recompute them and saev 0.1.0's scalar."""
    import numpy as np

    stats_path = pathlib.Path(shard_dir, "stats.json")
    if not stats_path.exists() or not md.cls_token:
        return
    doc = json.loads(stats_path.read_text())
    n_layers = len(md.layers)
    acts = load_acts(shard_dir, md, md.n_patches_per_img + 1)
    for name, tokens in (("patches", slice(1, None)), ("cls", slice(0, 1))):
        x = acts[:, :, tokens].astype(np.float64).transpose(1, 0, 2, 3).reshape(n_layers, -1, md.d_vit)
        mean = x.mean(axis=1)
        theirs = np.load(pathlib.Path(shard_dir, doc["files"][name]["name"]))
        scalar = np.linalg.norm(x - mean[:, None], axis=2).mean(axis=1) / np.sqrt(md.d_vit)
        ours_scalar = np.array([layer[name]["normScalar"] for layer in doc["perLayer"]])
        if np.allclose(theirs, mean, rtol=1e-12, atol=1e-12) and np.allclose(ours_scalar, scalar, rtol=1e-12):
            report["checked"].append(f"stats {name}: numpy.load mean [L, D] and saev 0.1.0's scalar equal numpy float64 (rtol 1e-12)")
        else:
            report["failures"].append(f"stats {name}: max |mean diff| {np.abs(theirs - mean).max():.3g}, scalar {ours_scalar} vs numpy {scalar}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_setup = sub.add_parser("setup", help="make a venv with saev==0.1.0 and its minimal dependencies")
    p_setup.add_argument("venv")
    p_cmp = sub.add_parser("compare", help="compare saev's Dataset with ours on a shard directory")
    p_cmp.add_argument("shard_dir")
    p_cmp.add_argument("--ours", help="JSON from dist/scripts/dump-reader-items.js (default: run it)")
    args = parser.parse_args()
    if args.cmd == "setup":
        setup(args.venv)
    else:
        sys.exit(compare(args.shard_dir, args.ours))


if __name__ == "__main__":
    main()
