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
  - dinov2-swiglu: the same hub code with ViT-g/14's SwiGLU MLP (`ffn_layer="swiglufused"`, as `hubconf.py` builds
    `dinov2_vitg14`; without xformers the hub's own `SwiGLUFFN`), saved as the hub's `.pth`, in HF layout
    (`use_swiglu_ffn`, `mlp.weights_in`/`weights_out`) and in timm's (`vit_giant_patch14_dinov2` made tiny, through
    timm's checkpoint filter, `save_for_hf`); at the position grid's own size all three agree here;
  - dinov2-reg4-timm: timm's `vit_small_patch14_reg4_dinov2` made tiny, saved as timm ships it (`save_for_hf`; its
    `no_embed_class` layout: positions over the patches only, the CLS position folded into cls_token), blocks by timm;
  - moondream2: `moondream/vision_encoder.py` of vikhyat/moondream at the 2024-08-26 release (commit 211cc2f),
    made tiny by swapping its hard-coded sizes on the instances (its classes take no size arguments);
  - dinov3: the facebookresearch/dinov3 code (`DinoVisionTransformer`, as `dinov3/hub/backbones.py` builds
    `dinov3_vits16` and `dinov3_vits16plus`), saved in the hub's `.pth` layout with the RoPE periods in
    bfloat16 as the released checkpoints hold them; the same weights loaded into timm's
    `vit_small_patch16_dinov3` / `vit_small_plus_patch16_dinov3_qkvb` (through timm's own checkpoint filter,
    saved with timm's `save_for_hf`) and into HF `DINOv3ViTModel` (`save_pretrained`). Each layout's blocks are
    recorded by its own code: timm and HF compute the periods in float32, the hub reads them from the checkpoint;
  - pe-core, pe-spatial: Meta's Perception Encoder (`core/vision_encoder/pe.py` of facebookresearch/
    perception_models, `VisionTransformer`), saved as Meta's `.pt` (PE-Core: the tower under `visual.` as in
    Meta's CLIP files, without a text tower; PE-Spatial: the bare encoder), and the same weights in timm's
    `vit_pe_core_*` / `vit_pe_spatial_*` (timm's `_convert_pe`, `save_for_hf`). saev runs timm; both layouts'
    blocks are recorded and checked against each other here. RoPE shows in a tiny random model's outputs only when
    its attention is peaked, so these models' q/k/v projections are scaled up (`sharpen_attention`).

The hub code, moondream, dinov3 and perception_models are not on PyPI. Get them with git (never commit them):
  git clone https://github.com/facebookresearch/dinov2 /tmp/upstream/dinov2
  git clone https://github.com/vikhyat/moondream /tmp/upstream/moondream && git -C /tmp/upstream/moondream checkout 211cc2f
  git clone https://github.com/facebookresearch/dinov3 /tmp/upstream/dinov3
  git clone https://github.com/facebookresearch/perception_models /tmp/upstream/perception_models
Then, in a venv with `pip install torch==2.14.1 torchvision==0.29.1 timm open_clip_torch transformers safetensors einops`:
  python scripts/make-parity-fixtures.py --dinov2 /tmp/upstream/dinov2 --moondream /tmp/upstream/moondream \
    --dinov3 /tmp/upstream/dinov3 --perception-models /tmp/upstream/perception_models
(The dinov3 and pe cases were made with torch 2.13.0 (a CPU build), torchvision 0.28.0, timm 1.0.31 and transformers
5.25.0, dinov3 at 6876159, perception_models at 3e352cc: `--only dinov3 pe pixels`; dinov2-swiglu with the same torch,
timm and transformers and dinov2 at b8931f7: `--only dinov2-swiglu`; dinov2-reg4-timm with the same torch and timm, no
upstream checkout: `--only dinov2-reg4-timm`.)
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


def import_torchvision():
    """torchvision, even where its C++ ops cannot load (a CPU-only torch build beside a CUDA torchvision wheel):
    the transforms used here are pure Python on PIL images and tensors and never call those ops."""
    try:
        import torchvision
    except RuntimeError as error:
        if "torchvision::" not in str(error):
            raise
        import types

        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
        for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
            sys.modules[name] = types.ModuleType(name)
        import torchvision
    return torchvision

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


def sharpen_attention(module, factor):
    """Scales the q/k/v projection weights so attention is peaked rather than near uniform: RoPE only shows in the
    outputs when attention depends on the rotated scores (with randomize's scale, a tiny model barely notices it)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith(("attn.qkv.weight", "attn.in_proj_weight")):
                p.mul_(factor)


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
        pairs = {"norm1": "norm1", "norm2": "norm2", "attn.proj": "attention.output.dense"}
        # ViT-g/14's SwiGLUFFNFused (w12 packs gate then value) is HF's Dinov2SwiGLUFFN as its files hold it.
        mlp = {"mlp.w12": "mlp.weights_in", "mlp.w3": "mlp.weights_out"} if b + "mlp.w12.weight" in state else {"mlp.fc1": "mlp.fc1", "mlp.fc2": "mlp.fc2"}
        pairs.update(mlp)
        for src, dst in pairs.items():
            out[h + dst + ".weight"] = state[b + src + ".weight"]
            out[h + dst + ".bias"] = state[b + src + ".bias"]
        out[h + "layer_scale1.lambda1"] = state[b + "ls1.gamma"]
        out[h + "layer_scale2.lambda1"] = state[b + "ls2.gamma"]
        i += 1
    return out


def make_dinov2(repo, n_registers, swiglu=False):
    sys.path.insert(0, str(repo))
    from dinov2.models.vision_transformer import DinoVisionTransformer

    seed_everything(0)
    # hubconf's dinov2_vit*14 (no registers): interpolate_offset 0.1, no antialias; *_reg: 4 registers, offset 0, antialias.
    hub = dict(interpolate_antialias=True, interpolate_offset=0.0) if n_registers else dict(interpolate_antialias=False, interpolate_offset=0.1)
    # The hub trains at 518 px (a 37x37 grid); here a 9x9 grid (126 px), interpolated to the 4x4 grid of 56 px inputs.
    # swiglu: hubconf's dinov2_vitg14 (ffn_layer "swiglufused"; without xformers the hub's own SwiGLUFFN), whose
    # hidden width (int(4 * 32 * 2/3) + 7) // 8 * 8 = 88 is not 4 * 32 * 2/3.
    model = DinoVisionTransformer(
        img_size=126, patch_size=14, embed_dim=32, depth=3, num_heads=2, mlp_ratio=4, init_values=1.0,
        ffn_layer="swiglufused" if swiglu else "mlp", block_chunks=0, num_register_tokens=n_registers, **hub,
    ).eval()
    randomize(model, 6 if swiglu else 4 + n_registers)
    name = "dinov2-swiglu" if swiglu else "dinov2-reg4" if n_registers else "dinov2"
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    hub_files = [f"{name}_hub.safetensors"]
    if swiglu:  # the hub's own format only (the released dinov2_vitg14_pretrain.pth), for the zip-pickle reader
        hub_files = [f"{name}_hub.pth"]
        torch.save(state, case_dir / hub_files[0])
    else:
        if n_registers:  # one torch.save copy (the hub's own format) for the zip-pickle reader
            torch.save(state, case_dir / f"{name}_hub.pth")
            hub_files.insert(0, f"{name}_hub.pth")
        save_safetensors(state, case_dir / f"{name}_hub.safetensors")  # the same tensors, for readers without pickle
    hf_dir = case_dir / "hf"
    hf_dir.mkdir(exist_ok=True)
    save_safetensors(hub_to_hf(state, n_registers), hf_dir / "model.safetensors")
    hf_config = {
        "model_type": "dinov2_with_registers" if n_registers else "dinov2", "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2,
        "mlp_ratio": 4, "patch_size": 14, "image_size": 126, "layer_norm_eps": 1e-6, "hidden_act": "gelu", "layerscale_value": 1.0,
        "use_swiglu_ffn": swiglu, "qkv_bias": True, "num_channels": 3, **({"num_register_tokens": n_registers} if n_registers else {}),
    }
    (hf_dir / "config.json").write_text(json.dumps(hf_config, indent=2) + "\n")
    timm_files, extra = [], {}
    if swiglu:
        timm_model = save_timm_dinov2_swiglu(state, case_dir)
        timm_files, extra = ["timm/model.safetensors"], {"timm_model": "vit_giant_patch14_dinov2"}
    blocks = write_case(
        name, family="dinov2", checkpoints=hub_files + ["hf/model.safetensors"] + timm_files, transform=dinov2_transform(56),
        blocks_fn=lambda: model.blocks, model_forward=model.forward_features, image_size=56,
        tokens={"cls": 1, "registers": n_registers, "patches": 16}, extra={"interpolation": hub, "source_grid": 9, **extra},
    )
    check_hf_dinov2(hf_dir, hf_config, blocks, n_registers, case_dir)
    if swiglu:
        check_native_grid(name, model, hf_dir, timm_model)


def save_timm_dinov2_swiglu(state, case_dir):
    """The hub's weights in timm's layout: `vit_giant_patch14_dinov2` made tiny (SwiGLUPacked, gate first), loaded
    through timm's own checkpoint filter (w12 -> fc1, w3 -> fc2) and saved with `save_for_hf`."""
    import timm
    import timm.models._hub
    from timm.models.vision_transformer import checkpoint_filter_fn

    # timm sizes SwiGLUPacked's fc1 as int(D * mlp_ratio) = 2 x the hub's hidden width (88 here, 4096 for ViT-g).
    tiny = dict(img_size=126, embed_dim=32, depth=3, num_heads=2, mlp_ratio=2 * 88 / 32)
    timm_model = timm.create_model("vit_giant_patch14_dinov2", pretrained=False, num_classes=0, **tiny).eval()
    timm_model.load_state_dict(checkpoint_filter_fn(dict(state), timm_model))
    timm.models._hub.save_for_hf(timm_model, str(case_dir / "timm"), model_args=tiny, safe_serialization=True)
    (case_dir / "timm" / "pytorch_model.bin").unlink(missing_ok=True)
    return timm_model


def check_native_grid(name, hub_model, hf_dir, timm_model):
    """At the position grid's own size (126 px, no interpolation) the hub, HF and timm layouts run by their own code
    agree: one gate/value order across the three SwiGLU implementations."""
    import transformers

    hf_model = transformers.Dinov2Model.from_pretrained(str(hf_dir)).eval()
    pixels = torch.stack([dinov2_transform(126)(load_photo(p)) for p in PHOTOS]).float()
    recorded = {
        "hub": record_blocks(hub_model.blocks, hub_model.forward_features, pixels),
        "hf": record_blocks(hf_model.encoder.layer, hf_model, pixels),
        "timm": record_blocks(timm_model.blocks, timm_model.forward_features, pixels),
    }
    compare_layouts(f"{name} at 126 px", recorded, "hf", "hub", 1e-5)
    compare_layouts(f"{name} at 126 px", recorded, "timm", "hub", 1e-5)


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


def make_dinov2_reg4_timm():
    """timm's own `vit_small_patch14_reg4_dinov2` made tiny (a 9x9 position grid at 126 px), random weights, saved with
    `save_for_hf` as the `timm/vit_*_reg4_dinov2.lvd142m` repositories hold it: `no_embed_class`, so pos_embed covers
    the 81 patches only, the CLS position is part of cls_token and the 4 registers (reg_token) get none. Its blocks are
    recorded by timm itself on 56 px inputs (`dynamic_img_size`: pos_embed resampled to 4x4 at each forward pass,
    bicubic, antialiased, to the exact size) and checked against the same weights loaded into a 56 px model through
    timm's checkpoint filter (resampled once, at load), the other way timm runs them at another size."""
    import timm
    import timm.models._hub
    from timm.models.vision_transformer import checkpoint_filter_fn

    seed_everything(0)
    name, timm_name = "dinov2-reg4-timm", "vit_small_patch14_reg4_dinov2"
    tiny = dict(img_size=126, embed_dim=32, depth=3, num_heads=2)
    model = timm.create_model(timm_name, pretrained=False, num_classes=0, **tiny).eval()
    randomize(model, 9)
    with torch.no_grad():  # randomize leaves timm's reg_token name at the small scale; registers as the hub's
        model.reg_token.copy_(0.5 * torch.randn(model.reg_token.shape, generator=torch.Generator().manual_seed(10)))
    assert model.no_embed_class and tuple(model.pos_embed.shape) == (1, 81, 32), model.pos_embed.shape
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    timm.models._hub.save_for_hf(model, str(case_dir / "timm"), model_args=tiny, safe_serialization=True)
    (case_dir / "timm" / "pytorch_model.bin").unlink(missing_ok=True)
    dynamic = timm.create_model(timm_name, pretrained=False, num_classes=0, dynamic_img_size=True, **tiny).eval()
    dynamic.load_state_dict(model.state_dict())
    blocks = write_case(
        name, family="dinov2", checkpoints=["timm/model.safetensors"], transform=dinov2_transform(56),
        blocks_fn=lambda: dynamic.blocks, model_forward=dynamic.forward_features, image_size=56,
        tokens={"cls": 1, "registers": 4, "patches": 16},
        extra={
            "timm": timm.__version__, "timm_model": timm_name, "source_grid": 9,
            "interpolation": "timm resample_abs_pos_embed (bicubic, antialias, exact size)",
        },
    )
    at56 = timm.create_model(timm_name, pretrained=False, num_classes=0, **{**tiny, "img_size": 56}).eval()
    at56.load_state_dict(checkpoint_filter_fn(model.state_dict(), at56))
    pixels = torch.from_numpy(np.frombuffer((case_dir / "pixels.bin").read_bytes(), dtype="<f4").copy())
    pixels = pixels.reshape(len(PHOTOS), 56, 56, 3).permute(0, 3, 1, 2)
    recorded = {"dynamic_img_size": blocks, "img_size=56": record_blocks(at56.blocks, at56.forward_features, pixels)}
    compare_layouts(name, recorded, "img_size=56", "dynamic_img_size", 1e-6)


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


# ----------------------------------------------------------------------------------- several layouts per case
def write_layouts(name, *, family, transform, image_size, tokens, layouts, extra=None):
    """One case, one set of pixels, several checkpoint layouts of the same weights, each with the blocks its own
    code records (layouts can differ a little: DINOv3's hub reads bfloat16 RoPE periods that timm and HF compute).
    `layouts`: [(checkpoint, blocks file, blocks_fn, forward, version note)]."""
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    pixels = torch.stack([transform(load_photo(p)) for p in PHOTOS]).float()
    assert pixels.shape[-1] == image_size, pixels.shape
    (case_dir / "pixels.bin").write_bytes(pixels.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tobytes())
    recorded = {}
    for checkpoint, blocks_file, blocks_fn, forward, _ in layouts:
        blocks = record_blocks(blocks_fn(), forward, pixels)
        (case_dir / blocks_file).write_bytes(blocks.numpy().astype("<f4").tobytes())
        recorded[checkpoint] = blocks
        print(f"{name} {checkpoint}: blocks {list(blocks.shape)}, |x| max {blocks.abs().max():.3g}", file=sys.stderr)
    shapes = {tuple(b.shape) for b in recorded.values()}
    assert len(shapes) == 1, shapes
    manifest = {
        "family": family,
        "checkpoints": [layout[0] for layout in layouts],
        "blocks_by_checkpoint": {layout[0]: layout[1] for layout in layouts},
        "made_by": {layout[0]: layout[4] for layout in layouts},
        "photos": PHOTOS,
        "image_size": image_size,
        "pixels_BHWC": list(pixels.permute(0, 2, 3, 1).shape),
        "blocks_LBND": list(next(iter(shapes))),
        "tokens": tokens,
        "versions": {"torch": torch.__version__},
        **(extra or {}),
    }
    (case_dir / "case.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return recorded


def compare_layouts(name, recorded, a, b, limit):
    """Relative RMS difference of two layouts' blocks; asserted below `limit` when one is given."""
    x, y = recorded[a], recorded[b]
    rel = ((x - y).pow(2).mean().sqrt() / y.pow(2).mean().sqrt()).item()
    print(f"  {name}: {a} vs {b}: max abs {(x - y).abs().max().item():.3g}, rel RMS {rel:.3g}", file=sys.stderr)
    if limit is not None:
        assert rel < limit, (name, a, b, rel)


# ------------------------------------------------------------------------------------------------ dinov3
DINOV3_PX = 64  # a 4x4 grid of 16-px patches (the released models: 256 px by default, 16x16 patches)


def dinov3_transform(size, on_tensor=False):
    from torchvision.transforms import v2

    # The dinov3 repository's make_transform (its README): squash to size x size, antialiased bilinear, ImageNet
    # mean/std. It resizes after ToImage, i.e. the uint8 tensor with torch's antialiased bilinear, which rounds a
    # little differently from Pillow's (make_pixels measures it); saev resizes PIL images, so the fixtures resize the
    # PIL image (Pillow's BILINEAR) and on_tensor=True is only for that measurement.
    resize = v2.Resize((size, size), antialias=True)
    head = [v2.ToImage(), resize] if on_tensor else [resize, v2.ToImage()]
    return v2.Compose([*head, v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD)])


def dinov3_to_hf(state, swiglu):
    """The hub's keys in HF `DINOv3ViTModel` layout (q, k, v split; the key bias dropped, as HF's key_bias=False)."""
    out = {
        "embeddings.cls_token": state["cls_token"],
        "embeddings.mask_token": state["mask_token"][:, None],
        "embeddings.register_tokens": state["storage_tokens"],
        "embeddings.patch_embeddings.weight": state["patch_embed.proj.weight"],
        "embeddings.patch_embeddings.bias": state["patch_embed.proj.bias"],
        "norm.weight": state["norm.weight"],
        "norm.bias": state["norm.bias"],
    }
    i = 0
    while f"blocks.{i}.norm1.weight" in state:
        b, h = f"blocks.{i}.", f"layer.{i}."
        q, k, v = state[b + "attn.qkv.weight"].chunk(3)
        qb, _, vb = (state[b + "attn.qkv.bias"] * state[b + "attn.qkv.bias_mask"]).chunk(3)
        out.update({
            h + "attention.q_proj.weight": q, h + "attention.k_proj.weight": k, h + "attention.v_proj.weight": v,
            h + "attention.q_proj.bias": qb, h + "attention.v_proj.bias": vb,
            h + "attention.o_proj.weight": state[b + "attn.proj.weight"], h + "attention.o_proj.bias": state[b + "attn.proj.bias"],
            h + "layer_scale1.lambda1": state[b + "ls1.gamma"], h + "layer_scale2.lambda1": state[b + "ls2.gamma"],
        })
        for norm in ("norm1", "norm2"):
            out[h + norm + ".weight"], out[h + norm + ".bias"] = state[b + norm + ".weight"], state[b + norm + ".bias"]
        pairs = {"w1": "gate_proj", "w2": "up_proj", "w3": "down_proj"} if swiglu else {"fc1": "up_proj", "fc2": "down_proj"}
        for src, dst in pairs.items():
            out[h + f"mlp.{dst}.weight"], out[h + f"mlp.{dst}.bias"] = state[b + f"mlp.{src}.weight"], state[b + f"mlp.{src}.bias"]
        i += 1
    return out


def make_dinov3(repo, swiglu):
    import timm
    import timm.models._hub
    import transformers
    from timm.models.eva import checkpoint_filter_fn

    sys.path.insert(0, str(repo))
    from dinov3.models.vision_transformer import DinoVisionTransformer

    seed_everything(0)
    width, depth, heads = 24, 2, 2  # head width 12: three RoPE bands per axis
    # hub/backbones.py's dinov3_vits16 (MLP, ffn_ratio 4) and dinov3_vits16plus (SwiGLU, ffn_ratio 6), made tiny.
    model = DinoVisionTransformer(
        img_size=DINOV3_PX, patch_size=16, pos_embed_rope_base=100, pos_embed_rope_normalize_coords="separate",
        pos_embed_rope_rescale_coords=2, pos_embed_rope_dtype="fp32", embed_dim=width, depth=depth, num_heads=heads,
        ffn_ratio=6 if swiglu else 4, qkv_bias=True, layerscale_init=1.0e-05, norm_layer="layernormbf16",
        ffn_layer="swiglu" if swiglu else "mlp", ffn_bias=True, proj_bias=True, n_storage_tokens=4, mask_k_bias=True,
    ).eval()
    model.init_weights()  # RoPE periods, the key-bias mask (1 for q and v, 0 for k)
    randomize(model, 20 + int(swiglu))
    sharpen_attention(model, 6.0)
    state = model.state_dict()
    # The released checkpoints hold the periods in bfloat16; the hub copies them into its float32 buffer.
    state["rope_embed.periods"] = state["rope_embed.periods"].to(torch.bfloat16)
    model.load_state_dict(state)
    name = "dinov3-plus" if swiglu else "dinov3"
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    arch = "vits16plus" if swiglu else "vits16"
    hub_file = f"dinov3_{arch}_pretrain_tiny-00000000.pth"
    torch.save(state, case_dir / hub_file)

    # timm: its own filter maps the hub's state dict (drops periods, bias_mask and mask_token; splits q/v bias).
    timm_name = "vit_small_plus_patch16_dinov3_qkvb" if swiglu else "vit_small_patch16_dinov3"
    tiny = dict(img_size=DINOV3_PX, embed_dim=width, depth=depth, num_heads=heads)
    timm_model = timm.create_model(timm_name, pretrained=False, num_classes=0, **tiny).eval()
    float_state = {k: v.float() for k, v in state.items()}
    timm_model.load_state_dict(checkpoint_filter_fn(float_state, timm_model))
    timm.models._hub.save_for_hf(timm_model, str(case_dir / "timm"), model_args=tiny, safe_serialization=True)
    (case_dir / "timm" / "pytorch_model.bin").unlink(missing_ok=True)

    # HF transformers: the same weights, loaded back with from_pretrained as users load it.
    hf_config = transformers.DINOv3ViTConfig(
        hidden_size=width, intermediate_size=96, num_hidden_layers=depth, num_attention_heads=heads, patch_size=16,
        image_size=DINOV3_PX, num_register_tokens=4, layer_norm_eps=1e-5, rope_theta=100.0, use_gated_mlp=swiglu,
        hidden_act="silu" if swiglu else "gelu", query_bias=True, key_bias=False, value_bias=True, layerscale_value=1e-5,
    )
    hf_model = transformers.DINOv3ViTModel(hf_config).eval()
    # The files hold layer.N (as on the hub); transformers 5 nests the layers under model. in memory.
    hf_state = {("model." + k if k.startswith("layer.") else k): v for k, v in dinov3_to_hf(float_state, swiglu).items()}
    hf_model.load_state_dict(hf_state, strict=True)
    hf_model.save_pretrained(str(case_dir / "hf"))
    hf_model = transformers.DINOv3ViTModel.from_pretrained(str(case_dir / "hf")).eval()

    versions = {
        hub_file: "facebookresearch/dinov3 6876159 (DinoVisionTransformer)",
        "timm/model.safetensors": f"timm {timm.__version__} ({timm_name})",
        "hf/model.safetensors": f"transformers {transformers.__version__} (DINOv3ViTModel)",
    }
    recorded = write_layouts(
        name, family="dinov3", transform=dinov3_transform(DINOV3_PX), image_size=DINOV3_PX,
        tokens={"cls": 1, "registers": 4, "patches": 16},
        layouts=[
            (hub_file, "blocks.bin", lambda: model.blocks, lambda x: model.get_intermediate_layers(x, n=depth, norm=False), versions[hub_file]),
            ("timm/model.safetensors", "timm/blocks.bin", lambda: timm_model.blocks, timm_model.forward_features, versions["timm/model.safetensors"]),
            ("hf/model.safetensors", "hf/blocks.bin", lambda: hf_model.model.layer, hf_model, versions["hf/model.safetensors"]),
        ],
        extra={"swiglu": swiglu, "timm_model": timm_name},
    )
    # float32 vs bfloat16 periods: the hub's blocks differ from timm's and HF's by more than float32 noise.
    compare_layouts(name, recorded, "hf/model.safetensors", hub_file, None)
    if swiglu:  # both with the q and v biases, both with float32 periods
        compare_layouts(name, recorded, "hf/model.safetensors", "timm/model.safetensors", 1e-5)


# ------------------------------------------------------------------------------------------- pe-core, pe-spatial
PE_PX = 32  # a 4x4 grid of 8-px patches (the released models: 224-512 px, patch 14 or 16)


def pe_transform(timm_model, size):
    import timm.data

    # timm's data config for the model, as saev builds it (resolve_model_data_config + create_transform).
    config = timm.data.resolve_model_data_config(timm_model)
    assert (config["interpolation"], config["crop_pct"], config["crop_mode"]) == ("bicubic", 1.0, "center"), config
    assert tuple(config["mean"]) == (0.5,) * 3 and tuple(config["std"]) == (0.5,) * 3, config
    return timm.data.create_transform(**{**config, "input_size": (3, size, size)}, is_training=False)


def make_pe(repo, spatial):
    import timm
    import timm.models._hub
    from timm.models.eva import checkpoint_filter_fn

    sys.path.insert(0, str(repo))
    from core.vision_encoder.pe import VisionTransformer

    seed_everything(0)
    width, depth, heads = 32, 2, 2
    if spatial:  # PE-Spatial-G14-448's structure: no CLS token, LayerScale, no pooling head
        meta_args = dict(use_cls_token=False, ls_init_value=0.1, pool_type="none", use_ln_post=False, output_dim=None)
        timm_name, timm_args = "vit_pe_spatial_gigantic_patch14_448", dict(mlp_ratio=4.0)
    else:  # PE-Core-B16-224's: CLS token, no LayerScale, attention pooling and projection (never recorded)
        meta_args = dict(use_cls_token=True, pool_type="attn", attn_pooler_heads=2, output_dim=16)
        timm_name, timm_args = "vit_pe_core_base_patch16_224", dict(attn_pool_num_heads=2, num_classes=16)
    meta = VisionTransformer(patch_size=8, width=width, layers=depth, heads=heads, mlp_ratio=4.0, image_size=PE_PX, **meta_args).eval()
    randomize(meta, 30 + int(spatial))
    sharpen_attention(meta, 6.0)
    name = "pe-spatial" if spatial else "pe-core"
    case_dir = OUT / name
    case_dir.mkdir(parents=True, exist_ok=True)
    # Meta's PE-Core files are CLIP models (the vision tower under visual.); PE-Spatial's are the bare encoder.
    state = meta.state_dict() if spatial else {f"visual.{k}": v for k, v in meta.state_dict().items()}
    meta_file = "PE-Spatial-tiny.pt" if spatial else "PE-Core-tiny.pt"
    torch.save(state, case_dir / meta_file)

    tiny = dict(img_size=PE_PX, patch_size=8, embed_dim=width, depth=depth, num_heads=heads, ref_feat_shape=(4, 4), **timm_args)
    timm_model = timm.create_model(timm_name, pretrained=False, **tiny).eval()
    missing, unexpected = timm_model.load_state_dict(checkpoint_filter_fn(dict(state), timm_model), strict=False)
    assert not missing and set(unexpected) <= {"head.weight", "head.bias"}, (missing, unexpected)
    timm.models._hub.save_for_hf(timm_model, str(case_dir / "timm"), model_args={k: list(v) if isinstance(v, tuple) else v for k, v in tiny.items()}, safe_serialization=True)
    (case_dir / "timm" / "pytorch_model.bin").unlink(missing_ok=True)

    versions = {
        "timm/model.safetensors": f"timm {timm.__version__} ({timm_name})",
        meta_file: "facebookresearch/perception_models 3e352cc (core/vision_encoder/pe.py VisionTransformer)",
    }
    recorded = write_layouts(
        name, family=name, transform=pe_transform(timm_model, PE_PX), image_size=PE_PX,
        tokens={"cls": 0 if spatial else 1, "registers": 0, "patches": 16},
        layouts=[
            ("timm/model.safetensors", "timm/blocks.bin", lambda: timm_model.blocks, timm_model.forward_features, versions["timm/model.safetensors"]),
            (meta_file, "blocks.bin", lambda: meta.transformer.resblocks, meta.forward_features, versions[meta_file]),
        ],
        extra={"timm_model": timm_name},
    )
    compare_layouts(name, recorded, "timm/model.safetensors", meta_file, 1e-5)


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
    import timm
    from torchvision.transforms import v2

    # How far DINOv3's own transform (torch's uint8 antialiased bilinear) is from Pillow's BILINEAR, which we follow.
    for photo in PIXEL_PHOTOS:
        image = load_photo(photo)
        tensor_path = v2.Resize((256, 256), antialias=True)(v2.ToImage()(image)).int()
        pillow = torch.from_numpy(np.array(image.resize((256, 256), PIL.Image.BILINEAR))).permute(2, 0, 1).int()
        diff = (tensor_path - pillow).abs()
        print(f"dinov3-256 {photo}: uint8-tensor resize vs Pillow: max {diff.max().item()} levels, "
              f"{(diff > 0).float().mean().item():.2%} of values differ", file=sys.stderr)

    out = OUT / "preprocess"
    out.mkdir(parents=True, exist_ok=True)
    pipelines = {
        "clip-224": (open_clip.image_transform(224, is_train=False, mean=CLIP_MEAN, std=CLIP_STD, resize_mode="shortest", interpolation="bicubic"), CLIP_MEAN, CLIP_STD),
        "siglip-256": (open_clip.image_transform(256, is_train=False, mean=(0.5,) * 3, std=(0.5,) * 3, resize_mode="squash", interpolation="bicubic"), (0.5,) * 3, (0.5,) * 3),
        "dinov2-224": (dinov2_transform(224), IMAGENET_MEAN, IMAGENET_STD),
        "moondream2-378": (v2.Compose([v2.Resize(size=(378, 378), interpolation=v2.InterpolationMode.BICUBIC), v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)]), (0.5,) * 3, (0.5,) * 3),
        "dinov3-256": (dinov3_transform(256), IMAGENET_MEAN, IMAGENET_STD),
        "pe-core-224": (pe_transform(timm.create_model("vit_pe_core_base_patch16_224", pretrained=False), 224), (0.5,) * 3, (0.5,) * 3),
    }
    # Large images: one photo for the newer pipelines (a landscape one squashed, a portrait one cropped); their
    # JPEG and PNG decoding is covered at the tiny sizes by the parity cases.
    photos = {"moondream2-378": PIXEL_PHOTOS[1:], "dinov3-256": PIXEL_PHOTOS[:1], "pe-core-224": PIXEL_PHOTOS[1:]}
    manifest = []
    for pipeline, (transform, mean, std) in pipelines.items():
        for photo in photos.get(pipeline, PIXEL_PHOTOS):
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
    parser.add_argument("--dinov3", type=pathlib.Path, help="checkout of facebookresearch/dinov3")
    parser.add_argument("--perception-models", type=pathlib.Path, help="checkout of facebookresearch/perception_models")
    parser.add_argument("--only", nargs="*", default=None, help="cases to make (clip, siglip, dinov2, dinov2-swiglu, dinov2-reg4-timm, moondream2, dinov3, pe, pixels, interpolate)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    import_torchvision()
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
    if want("dinov2-swiglu"):
        if args.dinov2 is None:
            sys.exit("--dinov2 <checkout> is needed for the dinov2-swiglu case")
        make_dinov2(args.dinov2, 0, swiglu=True)
    if want("dinov2-reg4-timm"):
        make_dinov2_reg4_timm()
    if want("moondream2"):
        if args.moondream is None:
            sys.exit("--moondream <checkout at 211cc2f> is needed for the moondream2 case")
        make_moondream(args.moondream)
    if want("dinov3"):
        if args.dinov3 is None:
            sys.exit("--dinov3 <checkout> is needed for the dinov3 cases")
        make_dinov3(args.dinov3, False)
        make_dinov3(args.dinov3, True)
    if want("pe"):
        if args.perception_models is None:
            sys.exit("--perception-models <checkout> is needed for the pe-core and pe-spatial cases")
        make_pe(args.perception_models, False)
        make_pe(args.perception_models, True)
    if want("pixels"):
        make_pixels()
    if want("interpolate"):
        make_interpolate()


if __name__ == "__main__":
    main()
