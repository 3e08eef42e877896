"""Real-size checkpoints with random weights, for `npm run bench:sizes` (never commit what this writes).

For each name, builds the upstream model at its real size with random initialisation and writes its vision
weights as a checkpoint in the upstream's layout, under OUT/<name>/:
  - open_clip names (ViT-H-14, ViT-g-14, ViT-bigG-14, ...): `open_clip_model.safetensors` with the `visual.*`
    keys open_clip's CLIP state dict has (the text tower is left out: the converter skips it anyway), and the
    `open_clip_config.json` open_clip's hub checkpoints carry beside it (`--no-config` leaves it out, which
    makes a bare state dict whose head count and GELU the converter must be told);
  - timm names (vit_giant_patch14_dinov2, vit_large_patch14_reg4_dinov2, vit_huge_plus_patch16_dinov3, ...):
    `model.safetensors` in timm's layout.
Only the vision tower is built, and tensors are written one at a time, so memory stays near the weights' size.

  pip install torch open_clip_torch timm safetensors
  python scripts/bench/make_size_checkpoints.py /tmp/sizes ViT-H-14 ViT-bigG-14
"""

import argparse
import json
import pathlib
import struct
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from torchvision_stand_in import use_stand_in_if_needed  # noqa: E402 (scripts/, beside this folder)

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path: pathlib.Path, state: dict) -> int:
    """safetensors, written tensor by tensor (no second copy of the whole state dict)."""
    header, offset = {}, 0
    for key, tensor in state.items():
        size = tensor.numel() * tensor.element_size()
        header[key] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for tensor in state.values():
            f.write(tensor.contiguous().view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return offset


def make_open_clip(name: str, out: pathlib.Path, with_config: bool, dtype: torch.dtype) -> int:
    import open_clip
    from open_clip.model import _build_vision_tower

    cfg = open_clip.get_model_config(name)
    if cfg is None or "timm_model_name" in cfg["vision_cfg"]:
        raise SystemExit(f"{name}: not an open_clip VisionTransformer config")
    visual = _build_vision_tower(cfg["embed_dim"], cfg["vision_cfg"], quick_gelu=cfg.get("quick_gelu", False))
    state = {f"visual.{k}": v.to(dtype) for k, v in visual.state_dict().items()}
    size = write_safetensors(out / "open_clip_model.safetensors", state)
    if with_config:
        preprocess = {"mean": list(open_clip.OPENAI_DATASET_MEAN), "std": list(open_clip.OPENAI_DATASET_STD), "interpolation": "bicubic", "resize_mode": "shortest"}
        (out / "open_clip_config.json").write_text(json.dumps({"model_cfg": cfg, "preprocess_cfg": preprocess}, indent=2) + "\n")
    return size


def make_timm(name: str, out: pathlib.Path, dtype: torch.dtype) -> int:
    import timm

    model = timm.create_model(name, pretrained=False, num_classes=0)
    state = {k: v.to(dtype) for k, v in model.state_dict().items()}
    return write_safetensors(out / "model.safetensors", state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--no-config", action="store_true", help="open_clip: leave open_clip_config.json out")
    parser.add_argument("--half", action="store_true", help="store float16 (the converter writes float32 regardless)")
    args = parser.parse_args()
    use_stand_in_if_needed()  # building a model needs no torchvision; timm and open_clip import it anyway
    torch.manual_seed(0)
    dtype = torch.float16 if args.half else torch.float32
    for name in args.names:
        out = args.out / name
        out.mkdir(parents=True, exist_ok=True)
        with torch.no_grad():
            size = make_timm(name, out, dtype) if name.startswith("vit_") else make_open_clip(name, out, not args.no_config, dtype)
        print(f"{name}: {size / 1e9:.2f} GB of weights in {out}")


if __name__ == "__main__":
    main()
