#!/bin/sh
# GPU checks and benchmarks from an offline bundle (npm run bundle), for a GPU machine with no Node.js,
# no registry and no network. Prints as it goes; JSON results land in <out-dir>.
#
#   scripts/gpu/run-from-bundle.sh <bundle.tar.xz> <out-dir> [step ...]
#
# Steps (default: probe check bench):
#   probe    what Dawn sees: adapters, features, limits
#   check    npm run test:gpu (kernels at real sizes, every family, a verified extraction); CPU references
#            from $SAEV_GPU_REFS (written by `check-gpu.js --make-refs DIR --backend native` elsewhere);
#            $SAEV_GPU_CHECK_ARGS adds arguments (e.g. `--cases clip-b16`, or `--backend webgpu` to try the
#            script on a software adapter)
#   profile  GPU time per kernel of one ViT-B/16 forward at batch 128, the project's kernels and tfjs's own
#   tiles    ViT-B/16 model-only images/s at batch 128 for each matmul tile shape
#   torch    PyTorch's ViT-B/16 model-only images/s on CUDA at batch 128 and 256, strict float32 and TF32
#   bench    npm run bench -- --backend webgpu (PyTorch on CUDA beside it: $SAEV_BENCH_PYTHON, default python3)
set -eu
bundle=$1
out=$2
shift 2
steps=${*:-probe check bench}
mkdir -p "$out"
dir=$(mktemp -d)
tar -xJf "$bundle" -C "$dir"
node="$dir/node/bin/node"
scripts="$dir/dist/scripts"
export UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-$(nproc)}"
say() { echo "== $(date +%T) $*"; }
for step in $steps; do
  case $step in
    probe)
      say probe
      "$node" "$scripts/gpu/probe.js" | tee "$out/probe.json" ;;
    check)
      say "check (test:gpu)"
      # shellcheck disable=SC2086 # SAEV_GPU_CHECK_ARGS is a list of arguments
      "$node" "$scripts/gpu/check-gpu.js" --require ${SAEV_GPU_REFS:+--refs "$SAEV_GPU_REFS"} ${SAEV_GPU_CHECK_ARGS:-} 2>&1 | tee "$out/check.log" ;;
    profile)
      say profile
      for kernels in fused generic; do
        "$node" "$scripts/bench/forward.js" --backend webgpu --family clip --arch ViT-B-16 --batch 128 --layers=-1 --reps 3 --kernels $kernels --profile
      done | tee "$out/profile.jsonl" ;;
    tiles)
      say tiles
      for tile in 128x128 128x128k8 128x64 64x128 64x64; do
        "$node" "$scripts/bench/forward.js" --backend webgpu --family clip --arch ViT-B-16 --batch 128,256 --layers=-1 --reps 3 --tile $tile
      done | tee "$out/tiles.jsonl" ;;
    torch)
      say torch
      "${SAEV_BENCH_PYTHON:-python3}" "$dir/scripts/bench/torch_recipe.py" forward --arch timm:vit_base_patch16_clip_224 --batches 128,256 --tf32-modes off,on --layers=-1 --reps 3 --device cuda | tee "$out/torch.jsonl" ;;
    bench)
      say "bench (npm run bench -- --backend webgpu)"
      (cd "$dir" && "$node" "$scripts/bench/run-bench.js" --backend webgpu --pairs "${SAEV_BENCH_PAIRS:-2}" --out "$out/bench.json") 2>&1 | tee "$out/bench.log" ;;
    *)
      echo "run-from-bundle: unknown step '$step' (probe, check, profile, tiles, torch, bench)" >&2
      exit 2 ;;
  esac
done
say done
