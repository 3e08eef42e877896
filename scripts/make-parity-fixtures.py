"""Parity fixtures for the four ViT families (test/fixtures/parity/), made with the real upstream code.

For each case it builds a tiny, randomly initialised model with the upstream library, saves its weights in
the upstream's native checkpoint format(s) (plus the config file upstream writes beside them), runs a few real
photographs from src/demo/images through the upstream preprocessing at the tiny model's size, and records the
output of every block (forward hooks, float32, CPU). The tests convert the checkpoints with our converter and
compare every block.

It also records the upstream preprocessing of real photos at the real model sizes (224/256/378 px) as 8-bit
RGB (recovered exactly from the normalised tensor) for the pixel-parity tests.

Upstream code:
  - clip: open_clip `CLIP` (`visual` is open_clip's VisionTransformer), QuickGELU and GELU variants;
  - siglip: open_clip `CLIP` with a timm `vit_*_siglip_*` trunk (made tiny through timm's model kwargs);
  - dinov2: the facebookresearch/dinov2 hub code (`DinoVisionTransformer`, as `hubconf.py` builds it), with
    and without registers, saved in the hub's `.pth` layout; the same weights also saved in HF `Dinov2Model`
    layout (`model.safetensors` + `config.json`), whose outputs are checked against the hub's here;
  - moondream2: `moondream/vision_encoder.py` of vikhyat/moondream at the 2024-08-26 release (commit 211cc2f),
    made tiny by swapping its hard-coded sizes on the instances (its classes take no size arguments).

The hub code and moondream are not on PyPI. Get them with git (never commit them):
  git clone https://github.com/facebookresearch/dinov2 /tmp/upstream/dinov2
  git clone https://github.com/vikhyat/moondream /tmp/upstream/moondream && git -C /tmp/upstream/moondream checkout 211cc2f
Then, in a venv with `pip install torch==2.14.1 torchvision==0.29.1 timm open_clip_torch transformers safetensors einops`:
  python scripts/make-parity-fixtures.py --dinov2 /tmp/upstream/dinov2 --moondream /tmp/upstream/moondream
"""

import argparse
import json
import math
import pathlib
import sys

import numpy as np
import PIL.Image
import safetensors.torch
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "parity"
PHOTOS = ["animal/cat.jpg", "people/astronaut.png"]
PIXEL_PHOTOS = ["animal/cat.jpg", "people/astronaut.png"]
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def load_photo(name):
    # saev's loaders convert to RGB before any transform.
    return PIL.Image.open(ROOT / "src" / "demo" / "images" / name).convert("RGB")


def seed_everything(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


def randomize(module, seed):
    """Every parameter N(0, 0.02^2), LayerNorm-like scales 1 + N(0, 0.1^2), biases N(0, 0.02^2):
    upstream inits leave biases at zero and LayerScale at one, which would hide layout bugs."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if name.endswith(("norm1.weight", "norm2.weight", "ln_1.weight", "ln_2.weight", "ln_pre.weight", "norm.weight", "layernorm.weight")):
                p.copy_(1 + 0.1 * noise)
            elif name.endswith((".gamma", "lambda1")):
                p.copy_(0.5 + 0.2 * noise)
            elif name.endswith(("pos_embed", "positional_embedding", "cls_token", "class_embedding", "register_tokens")):
                p.copy_(0.5 * noise)
            else:
                p.copy_(0.05 * noise)


def record_blocks(blocks, forward, pixels_BCHW):
    outputs = []
    hooks = [b.register_forward_hook(lambda _m, _i, out: outputs.append(out.detach().clone())) for b in blocks]
    with torch.inference_mode():
        forward(pixels_BCHW)
    for h in hooks:
        h.remove()
    return torch.stack(outputs)  # [depth, B, N, D]


def write_case(name, *, family, checkpoints, transform, blocks_fn, model_forward, image_size, tokens, extra=None):
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    pixels = torch.stack([transform(load_photo(p)) for p in PHOTOS]).float()
    assert pixels.shape[-1] == image_size, pixels.shape
    blocks = record_blocks(blocks_fn(), model_forward, pixels)
    (case_dir / "pixels.bin").write_bytes(pixels.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tobytes())
    (case_dir / "blocks.bin").write_bytes(blocks.numpy().astype("<f4").tobytes())
    manifest = {
        "family": family,
        "checkpoints": checkpoints,
        "photos": PHOTOS,
        "image_size": image_size,
        "pixels_BHWC": list(pixels.permute(0, 2, 3, 1).shape),
        "blocks_LBND": list(blocks.shape),
        "tokens": tokens,
        "versions": {"torch": torch.__version__},
        **(extra or {}),
    }
    (case_dir / "case.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{name}: blocks {list(blocks.shape)}, |x| max {blocks.abs().max():.3g}", file=sys.stderr)
    return blocks


def save_safetensors(state, path):
    safetensors.torch.save_file({k: v.contiguous() for k, v in state.items()}, str(path))


# ------------------------------------------------------------------------------------------------- clip
def make_clip(quick_gelu, name):
    import open_clip
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    seed_everything(0)
    vision = dict(image_size=32, layers=3, width=32, patch_size=8, head_width=16, mlp_ratio=4.0)
    text = dict(context_length=8, vocab_size=64, width=16, heads=2, layers=1)
    model = CLIP(embed_dim=16, vision_cfg=CLIPVisionCfg(**vision), text_cfg=CLIPTextCfg(**text), quick_gelu=quick_gelu).eval()
    randomize(model, 1 if quick_gelu else 2)
    preprocess = {"mean": list(CLIP_MEAN), "std": list(CLIP_STD), "interpolation": "bicubic", "resize_mode": "shortest"}
    config = {"model_cfg": {"embed_dim": 16, "vision_cfg": vision, "text_cfg": text, **({"quick_gelu": True} if quick_gelu else {})}, "preprocess_cfg": preprocess}
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    (case_dir / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_safetensors(model.state_dict(), case_dir / "open_clip_model.safetensors")
    if quick_gelu:  # one torch.save copy for the zip-pickle reader; the GELU case differs only in numbers
        torch.save(model.state_dict(), case_dir / "open_clip_pytorch_model.bin")
    transform = open_clip.image_transform(32, is_train=False, mean=CLIP_MEAN, std=CLIP_STD, resize_mode="shortest", interpolation="bicubic")
    write_case(
        name, family="clip", checkpoints=["open_clip_model.safetensors"] + (["open_clip_pytorch_model.bin"] if quick_gelu else []), transform=transform,
        blocks_fn=lambda: model.visual.transformer.resblocks, model_forward=model.visual, image_size=32,
        tokens={"cls": 1, "registers": 0, "patches": 16},
        extra={"gelu": "quick" if quick_gelu else "none"},
    )


def make_hf_clip():
    """HF transformers `CLIPModel` (vision_model.*, q/k/v as separate Linears), saved with save_pretrained."""
    import open_clip
    import transformers

    seed_everything(0)
    vision = dict(hidden_size=32, intermediate_size=128, num_hidden_layers=3, num_attention_heads=2, image_size=32, patch_size=8, hidden_act="quick_gelu")
    text = dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, vocab_size=64, max_position_embeddings=8)
    config = transformers.CLIPConfig(vision_config=vision, text_config=text, projection_dim=16)
    model = transformers.CLIPModel(config).eval()
    randomize(model, 9)
    name = "clip-hf"
    case_dir = OUT / name
    model.save_pretrained(str(case_dir), safe_serialization=True)
    transform = open_clip.image_transform(32, is_train=False, mean=CLIP_MEAN, std=CLIP_STD, resize_mode="shortest", interpolation="bicubic")
    write_case(
        name, family="clip", checkpoints=["model.safetensors"], transform=transform,
        blocks_fn=lambda: [layer for layer in model.vision_model.encoder.layers],
        model_forward=lambda x: model.vision_model(pixel_values=x), image_size=32,
        tokens={"cls": 1, "registers": 0, "patches": 16}, extra={"gelu": "quick", "transformers": transformers.__version__},
    )


# ------------------------------------------------------------------------------------------------ siglip
def make_siglip():
    import open_clip
    import open_clip.timm_model
    import timm
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    seed_everything(0)
    tiny = dict(img_size=32, patch_size=8, embed_dim=32, depth=3, num_heads=2, mlp_ratio=3.5)
    original = timm.create_model
    open_clip.timm_model.timm.create_model = lambda name, **kw: original(name, **kw, **tiny)
    try:
        vision = dict(image_size=32, timm_model_name="vit_base_patch16_siglip_224", timm_model_pretrained=False, timm_pool="map", timm_proj="none")
        text = dict(context_length=8, vocab_size=64, width=16, heads=2, layers=1)
        model = CLIP(embed_dim=32, vision_cfg=CLIPVisionCfg(**vision), text_cfg=CLIPTextCfg(**text)).eval()
    finally:
        open_clip.timm_model.timm.create_model = original
    assert isinstance(model.visual, open_clip.timm_model.TimmModel)
    randomize(model, 3)
    name = "siglip"
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    preprocess = {"mean": [0.5] * 3, "std": [0.5] * 3, "interpolation": "bicubic", "resize_mode": "squash"}
    # open_clip cannot build these sizes from a model name alone; the timm kwargs are recorded for readers.
    config = {"model_cfg": {"embed_dim": 32, "vision_cfg": vision, "text_cfg": text, "timm_kwargs": tiny}, "preprocess_cfg": preprocess}
    (case_dir / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_safetensors(model.state_dict(), case_dir / "open_clip_model.safetensors")
    transform = open_clip.image_transform(32, is_train=False, mean=(0.5,) * 3, std=(0.5,) * 3, resize_mode="squash", interpolation="bicubic")
    write_case(
        name, family="siglip", checkpoints=["open_clip_model.safetensors"], transform=transform,
        blocks_fn=lambda: model.visual.trunk.blocks, model_forward=model.visual, image_size=32,
        tokens={"cls": 0, "registers": 0, "patches": 16}, extra={"timm": timm.__version__, "open_clip": open_clip.__version__},
    )


# ------------------------------------------------------------------------------------------------ dinov2
def dinov2_transform(size):
    from torchvision.transforms import v2

    # saev's seed transform: Resize(256) (shortest side, bilinear), CenterCrop(224), scaled by 8/7 for tiny sizes.
    return v2.Compose([
        v2.Resize(size * 8 // 7), v2.CenterCrop(size), v2.ToImage(), v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ])


def hub_to_hf(state, n_registers):
    """The hub's keys in HF `Dinov2Model` / `Dinov2WithRegistersModel` layout (q, k, v split)."""
    out = {
        "embeddings.cls_token": state["cls_token"],
        "embeddings.mask_token": state["mask_token"],
        "embeddings.position_embeddings": state["pos_embed"],
        "embeddings.patch_embeddings.projection.weight": state["patch_embed.proj.weight"],
        "embeddings.patch_embeddings.projection.bias": state["patch_embed.proj.bias"],
        "layernorm.weight": state["norm.weight"],
        "layernorm.bias": state["norm.bias"],
    }
    if n_registers:
        out["embeddings.register_tokens"] = state["register_tokens"]
    i = 0
    while f"blocks.{i}.norm1.weight" in state:
        b, h = f"blocks.{i}.", f"encoder.layer.{i}."
        q, k, v = state[b + "attn.qkv.weight"].chunk(3)
        qb, kb, vb = state[b + "attn.qkv.bias"].chunk(3)
        for part, w, bias in (("query", q, qb), ("key", k, kb), ("value", v, vb)):
            out[h + f"attention.attention.{part}.weight"] = w
            out[h + f"attention.attention.{part}.bias"] = bias
        pairs = {
            "norm1": "norm1", "norm2": "norm2", "attn.proj": "attention.output.dense", "mlp.fc1": "mlp.fc1", "mlp.fc2": "mlp.fc2",
        }
        for src, dst in pairs.items():
            out[h + dst + ".weight"] = state[b + src + ".weight"]
            out[h + dst + ".bias"] = state[b + src + ".bias"]
        out[h + "layer_scale1.lambda1"] = state[b + "ls1.gamma"]
        out[h + "layer_scale2.lambda1"] = state[b + "ls2.gamma"]
        i += 1
    return out


def make_dinov2(repo, n_registers):
    sys.path.insert(0, str(repo))
    from dinov2.models.vision_transformer import DinoVisionTransformer

    seed_everything(0)
    # hubconf's dinov2_vit*14 (no registers): interpolate_offset 0.1, no antialias; *_reg: 4 registers, offset 0, antialias.
    hub = dict(interpolate_antialias=True, interpolate_offset=0.0) if n_registers else dict(interpolate_antialias=False, interpolate_offset=0.1)
    # The hub trains at 518 px (a 37x37 grid); here a 9x9 grid (126 px), interpolated to the 4x4 grid of 56 px inputs.
    model = DinoVisionTransformer(
        img_size=126, patch_size=14, embed_dim=32, depth=3, num_heads=2, mlp_ratio=4, init_values=1.0, ffn_layer="mlp",
        block_chunks=0, num_register_tokens=n_registers, **hub,
    ).eval()
    randomize(model, 4 + n_registers)
    name = "dinov2-reg4" if n_registers else "dinov2"
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    if n_registers:  # one torch.save copy (the hub's own format) for the zip-pickle reader
        torch.save(state, case_dir / f"{name}_hub.pth")
    save_safetensors(state, case_dir / f"{name}_hub.safetensors")  # the same tensors, for readers without pickle
    hf_dir = case_dir / "hf"
    hf_dir.mkdir(exist_ok=True)
    save_safetensors(hub_to_hf(state, n_registers), hf_dir / "model.safetensors")
    hf_config = {
        "model_type": "dinov2_with_registers" if n_registers else "dinov2", "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2,
        "mlp_ratio": 4, "patch_size": 14, "image_size": 126, "layer_norm_eps": 1e-6, "hidden_act": "gelu", "layerscale_value": 1.0,
        "use_swiglu_ffn": False, "qkv_bias": True, "num_channels": 3, **({"num_register_tokens": n_registers} if n_registers else {}),
    }
    (hf_dir / "config.json").write_text(json.dumps(hf_config, indent=2) + "\n")
    blocks = write_case(
        name, family="dinov2", checkpoints=([f"{name}_hub.pth"] if n_registers else []) + [f"{name}_hub.safetensors", "hf/model.safetensors"], transform=dinov2_transform(56),
        blocks_fn=lambda: model.blocks, model_forward=model.forward_features, image_size=56,
        tokens={"cls": 1, "registers": n_registers, "patches": 16}, extra={"interpolation": hub, "source_grid": 9},
    )
    check_hf_dinov2(hf_dir, hf_config, blocks, n_registers, case_dir)


def check_hf_dinov2(hf_dir, config, hub_blocks, n_registers, case_dir):
    """HF's model on the same weights: equal to the hub's when no interpolation differs (registers: antialiased sizes)."""
    import transformers

    cls = transformers.Dinov2WithRegistersModel if n_registers else transformers.Dinov2Model
    # from_pretrained, as users load it: it maps the hub files' key names onto the library's current ones.
    model = cls.from_pretrained(str(hf_dir)).eval()
    pixels = torch.from_numpy(np.frombuffer((case_dir / "pixels.bin").read_bytes(), dtype="<f4").copy()).reshape(len(PHOTOS), 56, 56, 3).permute(0, 3, 1, 2)
    blocks = record_blocks(model.encoder.layer, model, pixels)
    err = (blocks - hub_blocks).abs().max().item()
    print(f"  HF {cls.__name__} vs hub: max abs {err:.3g} (interpolation differs for the no-register hub models)", file=sys.stderr)


# -------------------------------------------------------------------------------------------- moondream2
def make_moondream(repo):
    import importlib.util

    # Only this file: the package's __init__ pulls in the language model, which needs an older transformers.
    spec = importlib.util.spec_from_file_location("moondream_vision_encoder", repo / "moondream" / "vision_encoder.py")
    vision_encoder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vision_encoder)
    from torch import nn

    seed_everything(0)
    width, depth, heads, mlp = 48, 3, 4, 96
    # 28 px inputs: a 2x2 grid of 14-px patches (the real model: 378 px, 27x27, d 1152, 27 blocks, 16 heads, MLP 4304).
    encoder = vision_encoder.VisionEncoder()
    visual = encoder.encoder.model["visual"]
    visual.patch_embed.linear = nn.Linear(588, width)
    visual.pos_embed = nn.Parameter(torch.zeros(1, 4, width))
    blocks = []
    for _ in range(depth):
        block = vision_encoder.VitBlock(width)
        block.attn = vision_encoder.Attention(width, num_heads=heads)
        block.mlp = vision_encoder.MLP(width, mlp)
        blocks.append(block)
    visual.blocks = nn.Sequential(*blocks)
    visual.norm = nn.LayerNorm(width)
    encoder.projection = nn.Identity()
    visual.eval()
    randomize(visual, 7)
    name = "moondream2"
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    # moondream2's model.safetensors holds the whole VLM; the vision tower sits under vision_encoder.encoder.model.visual.
    state = {f"vision_encoder.encoder.model.visual.{k}": v for k, v in visual.state_dict().items()}
    save_safetensors(state, case_dir / "model.safetensors")
    from torchvision.transforms.v2 import Compose, InterpolationMode, Normalize, Resize, ToDtype, ToImage

    transform = Compose([Resize(size=(28, 28), interpolation=InterpolationMode.BICUBIC), ToImage(), ToDtype(torch.float32, scale=True), Normalize([0.5] * 3, [0.5] * 3)])
    write_case(
        name, family="moondream2", checkpoints=["model.safetensors"], transform=transform,
        blocks_fn=lambda: visual.blocks, model_forward=visual, image_size=28,
        tokens={"cls": 0, "registers": 0, "patches": 4}, extra={"moondream_commit": "211cc2f (release 2024-08-26)"},
    )


# ------------------------------------------------------------------------------ bicubic interpolation
def make_interpolate():
    """torch F.interpolate(mode="bicubic", align_corners=False) vectors: DINOv2's two ways (scale_factor with
    the 0.1 offset, no antialias; exact size, antialiased), down and up, square and not."""
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(11)
    cases = []
    for in_hw, out_hw, offset, antialias in [
        ((9, 9), (4, 4), 0.1, False), ((9, 9), (4, 4), 0.0, True), ((5, 5), (8, 8), 0.1, False), ((5, 5), (8, 8), 0.0, True),
        ((6, 9), (4, 5), 0.0, False), ((37, 37), (16, 16), 0.1, False), ((37, 37), (16, 16), 0.0, True),
    ]:
        grid = torch.randn((1, 2, *in_hw), generator=gen)
        kwargs = {"scale_factor": ((out_hw[0] + offset) / in_hw[0], (out_hw[1] + offset) / in_hw[1])} if offset else {"size": out_hw}
        out = F.interpolate(grid, mode="bicubic", antialias=antialias, align_corners=False, **kwargs)
        assert tuple(out.shape[-2:]) == out_hw
        cases.append({
            "in": list(in_hw), "out": list(out_hw), "scale_factor": kwargs.get("scale_factor"), "antialias": antialias,
            "grid_DHW": grid.flatten().tolist(), "expected_DHW": out.flatten().tolist(),
        })
    (OUT / "interpolate.json").write_text(json.dumps(cases) + "\n")


# ---------------------------------------------------------------------------------------- pixel parity
def make_pixels():
    import open_clip
    from torchvision.transforms import v2

    out = OUT / "preprocess"
    out.mkdir(parents=True, exist_ok=True)
    pipelines = {
        "clip-224": (open_clip.image_transform(224, is_train=False, mean=CLIP_MEAN, std=CLIP_STD, resize_mode="shortest", interpolation="bicubic"), CLIP_MEAN, CLIP_STD),
        "siglip-256": (open_clip.image_transform(256, is_train=False, mean=(0.5,) * 3, std=(0.5,) * 3, resize_mode="squash", interpolation="bicubic"), (0.5,) * 3, (0.5,) * 3),
        "dinov2-224": (dinov2_transform(224), IMAGENET_MEAN, IMAGENET_STD),
        "moondream2-378": (v2.Compose([v2.Resize(size=(378, 378), interpolation=v2.InterpolationMode.BICUBIC), v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)]), (0.5,) * 3, (0.5,) * 3),
    }
    manifest = []
    for pipeline, (transform, mean, std) in pipelines.items():
        # 378 px images are large: moondream2's JPEG case is covered at 28 px by its parity case.
        for photo in PIXEL_PHOTOS if pipeline != "moondream2-378" else PIXEL_PHOTOS[1:]:
            x = transform(load_photo(photo)).float()
            # Undo Normalize and ToTensor's /255: the values are integers to well within float32 rounding.
            u8 = (x * torch.tensor(std)[:, None, None] + torch.tensor(mean)[:, None, None]) * 255
            err = (u8 - u8.round()).abs().max().item()
            assert err < 1e-3, (pipeline, photo, err)
            file = f"{pipeline}-{pathlib.Path(photo).stem}.rgb"
            (out / file).write_bytes(u8.round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy().tobytes())
            manifest.append({"pipeline": pipeline, "photo": photo, "file": file, "height": x.shape[1], "width": x.shape[2], "max_rounding": err})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dinov2", type=pathlib.Path, help="checkout of facebookresearch/dinov2")
    parser.add_argument("--moondream", type=pathlib.Path, help="checkout of vikhyat/moondream at 211cc2f")
    parser.add_argument("--only", nargs="*", default=None, help="cases to make (clip, siglip, dinov2, moondream2, pixels, interpolate)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    want = lambda case: args.only is None or case in args.only
    if want("clip"):
        make_clip(True, "clip-quickgelu")
        make_clip(False, "clip-gelu")
        make_hf_clip()
    if want("siglip"):
        make_siglip()
    if want("dinov2"):
        if args.dinov2 is None:
            sys.exit("--dinov2 <checkout> is needed for the dinov2 cases")
        make_dinov2(args.dinov2, 0)
        make_dinov2(args.dinov2, 4)
    if want("moondream2"):
        if args.moondream is None:
            sys.exit("--moondream <checkout at 211cc2f> is needed for the moondream2 case")
        make_moondream(args.moondream)
    if want("pixels"):
        make_pixels()
    if want("interpolate"):
        make_interpolate()


if __name__ == "__main__":
    main()
