"""saev's activation-recording recipe in PyTorch, the baseline of `npm run bench`.

What saev (seed version) does, rebuilt with the same libraries so both sides do the same work:
open_clip's VisionTransformer (random weights, same architecture as ours; or timm's DINOv2 for
`--arch timm:vit_base_patch14_dinov2`, forward only), forward hooks on its blocks that copy each recorded block's output into a [B, L, T, D] buffer,
open_clip's PIL/torchvision preprocessing inside a DataLoader with worker processes, and float32
np.memmap shard writes like saev's ShardWriter.

Modes (one JSON line on stdout):
  forward  model-only: `--reps` timed passes over one random batch            -> {"imgsPerS": [...]}
  extract  JPEG folder -> DataLoader -> model -> memmap shards, whole folder   -> {"imgsPerS": x, "nImgs": n}

Needs torch, torchvision and open_clip_torch (e.g. `pip install torch==2.14.1 torchvision==0.29.1
open_clip_torch numpy`). Threads: `--threads` (default 2, this machine's cores).
"""
import argparse
import json
import os
import time

import numpy as np
import open_clip
import torch
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder


def make_model(arch):
    """(model, its blocks, input side): open_clip names, or `timm:<name>` (DINOv2 at 224 px)."""
    if arch.startswith("timm:"):
        import timm
        model = timm.create_model(arch[len("timm:"):], pretrained=False, img_size=224).eval()
        return model, model.blocks, 224
    model = open_clip.create_model(arch, pretrained=None).visual.eval()
    side = model.image_size[0] if isinstance(model.image_size, tuple) else model.image_size
    return model, model.transformer.resblocks, side


def make_recorder(arch, layers):
    model, blocks, side = make_model(arch)
    depth = len(blocks)
    resolved = sorted({(i + depth) % depth for i in layers}) if layers else list(range(depth))
    state = {"outputs": []}
    for i in resolved:
        blocks[i].register_forward_hook(lambda _m, _a, out: state["outputs"].append(out.detach()))

    def record(pixels):
        state["outputs"] = []
        model(pixels)
        return torch.stack(state["outputs"], dim=1)  # [B, L, T, D]

    return record, resolved, side


def bench_forward(args, layers):
    record, _, side = make_recorder(args.arch, layers)
    pixels = torch.rand(args.batch, 3, side, side) * 4 - 2
    rates = []
    with torch.inference_mode():
        for rep in range(args.warmup + args.reps):
            start = time.perf_counter()
            record(pixels).numpy()
            if rep >= args.warmup:
                rates.append(args.batch / (time.perf_counter() - start))
    return {"imgsPerS": rates}


def bench_extract(args, layers):
    record, resolved, _ = make_recorder(args.arch, layers)
    _, _, preprocess = open_clip.create_model_and_transforms(args.arch, pretrained=None)
    dataset = ImageFolder(args.data_root, transform=preprocess)
    loader = DataLoader(dataset, batch_size=args.batch, num_workers=args.n_workers, shuffle=False,
                        persistent_workers=args.n_workers > 0, drop_last=False)
    n = len(dataset)
    shard = None
    start = time.perf_counter()
    with torch.inference_mode():
        offset = 0
        for pixels, _ in loader:
            acts = record(pixels).numpy()
            if shard is None:
                shape = (n,) + acts.shape[1:]
                shard = np.memmap(os.path.join(args.dump_to, "acts000000.bin"), mode="w+", dtype=np.float32, shape=shape)
            shard[offset:offset + len(acts)] = acts
            offset += len(acts)
        shard.flush()
    elapsed = time.perf_counter() - start
    return {"imgsPerS": n / elapsed, "nImgs": n, "layers": len(resolved)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["forward", "extract"])
    parser.add_argument("--arch", default="ViT-B-16")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--layers", default="all", help="comma-separated block indices, or 'all'")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--data-root")
    parser.add_argument("--dump-to", default="/tmp")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    layers = [] if args.layers == "all" else [int(x) for x in args.layers.split(",")]
    result = bench_forward(args, layers) if args.mode == "forward" else bench_extract(args, layers)
    result.update(engine="pytorch", torch=torch.__version__, arch=args.arch, batch=args.batch, mode=args.mode)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
