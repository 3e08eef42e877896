"""Writes test/fixtures/dtype-vectors.json: float32 inputs and their float16 / bfloat16 bit patterns.

References: numpy's float32 -> float16 cast and ml_dtypes' float32 -> bfloat16 cast, both round to
nearest, ties to even. Inputs cover ties, subnormals, the largest finite values, overflow to Inf,
signed zero, Inf and NaN. Inputs are given as float32 bit patterns so no decimal parsing intervenes.
Run: pip install numpy ml_dtypes && python3 scripts/make-dtype-vectors.py
"""
import json
from pathlib import Path

import ml_dtypes
import numpy as np

rng = np.random.RandomState(0)
special = np.array(
    [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 65504.0, 65519.99, 65520.0, 1e5, -1e5, 6.1e-5, 6.0e-5, 5.96e-8, 2.98e-8,
     2.9802322e-08, 1e-8, 1e-10, 1.0009765625, 1.00048828125, 1.00146484375, 3.0e38, -3.4e38, np.inf, -np.inf, np.nan],
    dtype=np.float32,
)
ties16 = np.array([np.float32(1 + k / 2048) for k in range(1, 8, 2)], dtype=np.float32)
ties_bf16 = np.array([np.float32(1 + k / 256) for k in range(1, 8, 2)], dtype=np.float32)
random_bits = rng.randint(0, 2**32, size=400, dtype=np.uint64).astype(np.uint32)
random = random_bits.view(np.float32)
random = random[np.isfinite(random)]
small = (rng.randn(200) * 1e-5).astype(np.float32)
scaled = (rng.randn(200) * 3).astype(np.float32)
values = np.concatenate([special, ties16, ties_bf16, random, small, scaled]).astype(np.float32)

rows = [
    {
        "f32_bits": int(v.view(np.uint32)),
        "f16_bits": int(np.array(v).astype(np.float16).view(np.uint16)),
        "bf16_bits": int(np.array(v).astype(ml_dtypes.bfloat16).view(np.uint16)),
    }
    for v in values
]
meta = {"numpy": np.__version__, "ml_dtypes": ml_dtypes.__version__, "cases": rows}
out = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "dtype-vectors.json"
out.write_text(json.dumps(meta) + "\n")
print(f"wrote {len(rows)} cases to {out}")
