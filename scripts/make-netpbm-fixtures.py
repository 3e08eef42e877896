"""Generate Netpbm fixtures (PBM/PGM/PPM) that pin down Pillow's ``Image.open(f).convert("RGB")``.

torchvision's ImageFolder counts ``.pgm`` and ``.ppm`` files, and saev decodes them with Pillow; this
sharp build cannot read them, so src/images/netpbm.ts does. The cases here fix Pillow's choices: 1 is
black in bitmaps; raw values above maxval are clamped (plain ones are an error); scaling to 8 bits rounds half to even; 16-bit grey
becomes mode I scaled to 0..65535, which ``convert("RGB")`` clamps at 255.

Writes ``test/fixtures/netpbm/*.p?m`` and ``expected.json`` ({"file", "pil_mode_on_open", "width",
"height", "rgb_hex", "note"}, rgb_hex = the H*W*3 bytes of ``convert("RGB")``).

Run:  python3 scripts/make-netpbm-fixtures.py     (needs: pip install pillow numpy)
"""

import io
import json
import pathlib

import numpy as np
import PIL
from PIL import Image

OUT_DIR = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "netpbm"


def be16(values) -> bytes:
    return np.asarray(values, dtype=">u2").tobytes()


def cases():
    ramp8 = bytes(range(0, 256, 17))  # 16 values
    yield "plain-bitmap-P1.pbm", b"P1\n# a comment\n5 2\n10110\n0 1 0 0 1\n", "plain bitmap, digits with and without separators"
    yield "raw-bitmap-P4.pbm", b"P4\n9 2\n" + bytes([0b10110000, 0b10000000, 0b01001111, 0b00000000]), "raw bitmap, rows padded to a byte"
    yield "plain-grey-P2.pgm", b"P2\n4 2\n255\n0 17 34 51\n68 85 # mid-row comment\n 102 255\n", "plain 8-bit grey with a comment"
    yield "plain-grey-P2-max1000.pgm", b"P2\n4 1\n1000\n0 1 2 999\n", "plain 16-bit grey: scaled to 0..65535, clamped at 255"
    yield "plain-rgb-P3-max100.ppm", b"P3\n2 2\n100\n0 1 50\n99 100 3\n7 12 25\n75 33 66\n", "plain RGB, maxval 100: scaled (Pillow refuses plain values over maxval)"
    yield "raw-grey-P5.pgm", b"P5\n4 4\n255\n" + ramp8, "raw 8-bit grey"
    yield "raw-grey-P5-max6.pgm", b"P5 7 1 6\n" + bytes([0, 1, 2, 3, 4, 5, 9]), "raw grey, maxval 6: halves round to even"
    yield "raw-grey16-P5-max510.pgm", b"P5\n4 1\n510\n" + be16([0, 1, 2, 510]), "raw 16-bit grey, maxval 510"
    yield "raw-rgb-P6.ppm", b"P6\n2 3\n255\n" + bytes(range(0, 18 * 13, 13)), "raw 8-bit RGB"
    yield "raw-rgb16-P6-max1000.ppm", b"P6\n3 1\n1000\n" + be16([0, 500, 1000, 300, 700, 1500, 2, 998, 65535]), "raw 16-bit RGB, maxval 1000: halves to even, over maxval clamped"
    yield "raw-rgb-P6-max100.ppm", b"P6\n2 1\n100\n" + bytes([0, 1, 50, 99, 100, 7]), "raw RGB, maxval 100"


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    files = []
    for name, data, note in cases():
        (OUT_DIR / name).write_bytes(data)
        im = Image.open(io.BytesIO(data))
        rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
        files.append({"file": name, "pil_mode_on_open": im.mode, "width": im.width, "height": im.height, "rgb_hex": rgb.tobytes().hex(), "note": note})
    doc = {
        "description": "Expected Image.open(path).convert('RGB') output; rgb_hex is H*W*3 uint8 bytes, row-major RGB.",
        "generator": "scripts/make-netpbm-fixtures.py",
        "pillow_version": PIL.__version__,
        "numpy_version": np.__version__,
        "files": files,
    }
    (OUT_DIR / "expected.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(files)} files to {OUT_DIR}")


if __name__ == "__main__":
    main()
