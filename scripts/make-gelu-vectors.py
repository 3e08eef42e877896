"""Writes test/fixtures/gelu-vectors.json: GELU variants computed in float64 by Python's math module.

exact:  0.5 x (1 + erf(x / sqrt 2))                      (torch.nn.GELU(), timm)
tanh:   0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   (GELU(approximate='tanh'))
quick:  x * sigmoid(1.702 x)                             (open_clip QuickGELU)
Run: python3 scripts/make-gelu-vectors.py
"""
import json
import math
from pathlib import Path

XS = [-6.0, -3.5, -2.0, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 1.5, 2.0, 3.5, 6.0]
rows = [
    {
        "x": x,
        "none": 0.5 * x * (1 + math.erf(x / math.sqrt(2))),
        "tanh": 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        "quick": x / (1 + math.exp(-1.702 * x)),
    }
    for x in XS
]
out = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "gelu-vectors.json"
out.write_text(json.dumps(rows, indent=2) + "\n")
