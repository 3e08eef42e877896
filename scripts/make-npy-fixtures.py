"""Writes test/fixtures/stats/*.npy with numpy.save: the byte-exact reference for src/stats/npy.ts.

Run with any Python that has numpy:  python scripts/make-npy-fixtures.py
"""
import pathlib

import numpy as np

out = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "stats"
out.mkdir(parents=True, exist_ok=True)
np.save(out / "f8-2x3.npy", (np.arange(6, dtype=np.float64).reshape(2, 3) * 1.5 - 2) / 3)
np.save(out / "f8-5.npy", np.array([0.0, -0.0, 1e-300, np.pi, -1e300], dtype=np.float64))
print(f"wrote {out}/f8-2x3.npy and f8-5.npy with numpy {np.__version__}")
