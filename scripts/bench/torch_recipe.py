"""saev's activation-recording recipe in PyTorch, the baseline of `npm run bench`.

What saev (seed version) does, rebuilt with the same libraries so both sides do the same work:
open_clip's VisionTransformer (random weights, same architecture as ours; or timm's DINOv2 for
`--arch timm:vit_base_patch14_dinov2`, forward only), forward hooks on its blocks that copy each recorded block's output into a [B, L, T, D] buffer,
open_clip's PIL/torchvision preprocessing inside a DataLoader with worker processes, and float32
np.memmap shard writes like saev's ShardWriter.

Modes (one JSON line on stdout):
  forward  model-only: `--reps` timed passes over one random batch            -> {"imgsPerS": [...]}
  extract  JPEG folder -> DataLoader -> model -> memmap shards, whole folder   -> {"imgsPerS": x, "nImgs": n}

On a GPU (`--device cuda`), `--tf32` turns on TensorFloat-32 matmuls as saev does on CUDA; without it the
products are strict float32. Architectures: open_clip names (needs open_clip_torch), or `timm:<name>`
(timm only; its data config gives the same CLIP/DINOv2 preprocessing as open_clip's transforms).

Needs torch, torchvision and open_clip_torch or timm (e.g. `pip install torch==2.14.1 torchvision==0.29.1
open_clip_torch numpy`). Threads: `--threads` (default 2, this machine's cores).
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder


def make_model(arch):
    """(model, its blocks, input side): open_clip names, or `timm:<name>` (DINOv2 at 224 px)."""
    if arch.startswith("timm:"):
        import timm
        model = timm.create_model(arch[len("timm:"):], pretrained=False, img_size=224).eval()
        return model, model.blocks, 224
    import open_clip
    model = open_clip.create_model(arch, pretrained=None).visual.eval()
    side = model.image_size[0] if isinstance(model.image_size, tuple) else model.image_size
    return model, model.transformer.resblocks, side


def make_transform(arch, model):
    if arch.startswith("timm:"):
        import timm.data
        return timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))
    import open_clip
    return open_clip.create_model_and_transforms(arch, pretrained=None)[2]


def make_recorder(arch, layers, device):
    model, blocks, side = make_model(arch)
    model = model.to(device)
    depth = len(blocks)
    resolved = sorted({(i + depth) % depth for i in layers}) if layers else list(range(depth))
    state = {"outputs": []}
    for i in resolved:
        blocks[i].register_forward_hook(lambda _m, _a, out: state["outputs"].append(out.detach()))

    def record(pixels):
        state["outputs"] = []
        model(pixels.to(device, non_blocking=True))
        return torch.stack(state["outputs"], dim=1).cpu()  # [B, L, T, D], copied to the host as saev does

    return record, resolved, side, model


def bench_forward(args, layers):
    """One result per batch size in `--batches` (default: `--batch`) and per TF32 setting in `--tf32-modes`."""
    record, _, side, _ = make_recorder(args.arch, layers, args.device)
    results = []
    batches = [int(b) for b in args.batches.split(",")] if args.batches else [args.batch]
    modes = [m == "on" for m in args.tf32_modes.split(",")] if args.tf32_modes else [args.tf32]
    for batch in batches:
        pixels = (torch.rand(batch, 3, side, side) * 4 - 2).to(args.device)  # on the device, as ours is
        for tf32 in modes:
            torch.backends.cuda.matmul.allow_tf32 = tf32
            rates = []
            with torch.inference_mode():
                for rep in range(args.warmup + args.reps):
                    start = time.perf_counter()
                    record(pixels).numpy()
                    if rep >= args.warmup:
                        rates.append(batch / (time.perf_counter() - start))
            results.append({"batch": batch, "tf32": tf32, "imgsPerS": rates})
    return results


def bench_extract(args, layers):
    record, resolved, _, model = make_recorder(args.arch, layers, args.device)
    dataset = ImageFolder(args.data_root, transform=make_transform(args.arch, model))
    loader = DataLoader(dataset, batch_size=args.batch, num_workers=args.n_workers, shuffle=False,
                        persistent_workers=args.n_workers > 0, drop_last=False, pin_memory=args.device != "cpu")
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
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--tf32", action="store_true", help="TensorFloat-32 matmuls on CUDA (saev's setting)")
    parser.add_argument("--batches", help="forward: comma-separated batch sizes, one JSON line each")
    parser.add_argument("--tf32-modes", help="forward: 'off,on' measures both, one JSON line each")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    layers = [] if args.layers == "all" else [int(x) for x in args.layers.split(",")]
    common = dict(engine="pytorch", torch=torch.__version__, arch=args.arch, mode=args.mode, device=args.device)
    if args.mode == "forward":
        for result in bench_forward(args, layers):
            print(json.dumps({**common, **result}), flush=True)
    else:
        print(json.dumps({**common, **bench_extract(args, layers), "batch": args.batch, "tf32": args.tf32}))


if __name__ == "__main__":
    main()
