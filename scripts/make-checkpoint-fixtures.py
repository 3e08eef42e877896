"""Writes the checkpoint-reader fixtures in test/fixtures/checkpoint/ with real torch and safetensors.

Each checkpoint is tiny (a few KB). expected.json records, for every readable file, what torch itself
sees: the sha256 of the file, and per tensor its dtype, shape and every value as float32 (converted by
torch), plus which entries are not tensors. The TypeScript readers are tested against it.

The hostile files (a pickle naming os.system, a truncated archive, a zip without data.pkl, a legacy
pre-1.6 file) are written byte by byte or by torch and are never loaded here.

Usage (torch 2.x CPU, safetensors, numpy in a venv outside the repository):
    python3 -m venv /work/venvs/ckpt && /work/venvs/ckpt/bin/pip install torch safetensors numpy
    /work/venvs/ckpt/bin/python scripts/make-checkpoint-fixtures.py [out_dir]
"""

import collections
import hashlib
import io
import json
import os
import sys
import zipfile

import torch
from safetensors.torch import save_file
from torch import nn

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "checkpoint")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
expected = {}


def path(name):
    return os.path.join(OUT, name)


def sha256(name):
    with open(path(name), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def describe(tensors):
    """dtype, shape and all float32 values of each tensor, as torch computes them."""
    out = {}
    for key, t in tensors.items():
        flat = t.detach().contiguous().reshape(-1).to(torch.float32)
        out[key] = {
            "dtype": str(t.dtype).removeprefix("torch."),
            "shape": list(t.shape),
            "values": [float(v) for v in flat.tolist()],
        }
    return out


def record(name, fmt, tensors, **extra):
    expected[name] = {"format": fmt, "sha256": sha256(name), "tensors": describe(tensors), **extra}


# 1. safetensors: float32 with metadata; the half types and integers.
f32 = {"a.weight": torch.randn(4, 3), "a.bias": torch.randn(4), "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3)}
save_file(f32, path("f32.safetensors"), metadata={"format": "pt", "note": "tiny"})
record("f32.safetensors", "safetensors", f32, metadata={"format": "pt", "note": "tiny"})

halves = {
    "h": torch.randn(3, 5).to(torch.float16),
    "b": torch.randn(2, 4).to(torch.bfloat16),
    "d": torch.randn(3).to(torch.float64),
    "i": torch.tensor([-3, 0, 7, 2**40 + 3], dtype=torch.int64),
    "j": torch.tensor([[1, -2], [3, 4]], dtype=torch.int32),
    "u": torch.tensor([0, 255, 17], dtype=torch.uint8),
    "flag": torch.tensor([True, False, True]),
}
save_file(halves, path("half.safetensors"))
record("half.safetensors", "safetensors", halves, metadata={})


# 2. torch.save of a module's state dict (an OrderedDict of Parameters and buffers).
class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 4)
        self.norm = nn.LayerNorm(4)
        self.register_buffer("steps", torch.arange(5))


small = Small()
sd = small.state_dict()
torch.save(sd, path("state-dict.pt"))
record("state-dict.pt", "torch-zip", sd, ignored=[])

# The same with pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE).
torch.save(sd, path("state-dict-proto4.pt"), pickle_protocol=4)
record("state-dict-proto4.pt", "torch-zip", sd, ignored=[])

# The same archive re-zipped with deflate (torch writes stored entries; other tools may not).
with zipfile.ZipFile(path("state-dict.pt")) as src, zipfile.ZipFile(path("state-dict-deflated.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))
record("state-dict-deflated.pt", "torch-zip", sd, ignored=[])

# 3. Training checkpoints: nested under 'state_dict' (with an optimizer), and under 'model' with DDP's 'module.' prefix.
other = Small()
optimizer = torch.optim.Adam(other.parameters())
for p in other.parameters():
    p.grad = torch.ones_like(p)
optimizer.step()  # the optimizer state now holds tensors too (exp_avg, step), which must be ignored
torch.save({"epoch": 3, "state_dict": sd, "optimizer": optimizer.state_dict(), "name": "small"}, path("nested-state-dict.pt"))
record("nested-state-dict.pt", "torch-zip", sd, unwrapped="state_dict", ignored=["epoch", "optimizer", "name"])

ddp = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
# The args exercise the other allowed globals: a set, bytes (_codecs.encode under protocol 2), torch.Size, torch.device.
args = {"lr": 0.1, "tags": ("a", "b"), "seen": {1, 2}, "blob": b"\x00\xffab", "size": torch.Size([2, 3]), "device": torch.device("cpu")}
torch.save({"model": ddp, "args": args}, path("nested-model.pt"))
record("nested-model.pt", "torch-zip", sd, unwrapped="model", ignored=["args"], strippedPrefix="module.")

# 4. Views saved as they are: a transpose, a strided slice, two tensors sharing one storage, a broadcast
#    (stride 0), a view at a storage offset, a scalar.
base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
views = {
    "transposed": base.t(),
    "slice": base[1:3, ::2],
    "base": base,
    "row": base[2],
    "expanded": torch.tensor([1.0, -2.0, 3.0]).expand(2, 3),
    "offset_col": base[:, 5],
    "scalar": torch.tensor(-1.25),
    "half_t": torch.randn(3, 2).to(torch.float16).t(),
}
assert not views["transposed"].is_contiguous() and views["row"].untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
torch.save(views, path("views.pt"))
record("views.pt", "torch-zip", views, ignored=[])

# 5. Every dtype through torch.save (uint16 goes through _rebuild_tensor_v3 and an UntypedStorage).
dtypes = {
    "f16": torch.randn(2, 3).to(torch.float16),
    "bf16": torch.randn(2, 3).to(torch.bfloat16),
    "f64": torch.randn(4).to(torch.float64),
    "i64": torch.tensor([-5, 2**40 + 3, 9]),
    "i32": torch.tensor([-1, 2], dtype=torch.int32),
    "i8": torch.tensor([-128, 127], dtype=torch.int8),
    "u8": torch.tensor([0, 200], dtype=torch.uint8),
    "b": torch.tensor([True, False]),
    "u16": torch.tensor([1, 65535], dtype=torch.uint16),
}
torch.save(dtypes, path("dtypes.pt"))
record("dtypes.pt", "torch-zip", dtypes, ignored=[])


# 6. TorchScript: a tiny CLIP-visual-shaped model, scripted and traced (the traced one in float16, like
#    OpenAI's original CLIP archives). Expected tensors are the module's own state_dict().
class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, 2)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(collections.OrderedDict([("c_fc", nn.Linear(d, 2 * d)), ("gelu", nn.GELU()), ("c_proj", nn.Linear(2 * d, d))]))

    def forward(self, x):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.resblocks = nn.ModuleList([Block(d) for _ in range(n)])

    def forward(self, x):
        for block in self.resblocks:
            x = block(x)
        return x


class Visual(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, d, 4, 4, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d))
        self.positional_embedding = nn.Parameter(torch.randn(5, d))
        self.ln_pre = nn.LayerNorm(d)
        self.transformer = Transformer(d, 2)
        self.ln_post = nn.LayerNorm(d)
        self.proj = nn.Parameter(torch.randn(d, 4))

    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], 1) + self.positional_embedding
        x = self.transformer(self.ln_pre(x).transpose(0, 1)).transpose(0, 1)
        return self.ln_post(x[:, 0]) @ self.proj


class Clip(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = Visual()
        self.logit_scale = nn.Parameter(torch.tensor(4.6))

    def forward(self, x):
        return self.visual(x) * self.logit_scale.exp()


clip = Clip().eval()
scripted = torch.jit.script(clip)
scripted.save(path("scripted.pt"))
record("scripted.pt", "torchscript", scripted.state_dict())

traced = torch.jit.trace(clip, torch.randn(1, 3, 8, 8)).half()
traced.save(path("traced-fp16.pt"))
record("traced-fp16.pt", "torchscript", traced.state_dict())



# A scripted module with a plain tensor attribute (not in state_dict) and a non-persistent buffer (which
# TorchScript's state_dict keeps).
class Attributes(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer("scratch", torch.ones(2), persistent=False)
        self.plain = torch.zeros(3)

    def forward(self, x):
        return self.lin(x) + self.scratch[0] + self.plain[0]


attributes = torch.jit.script(Attributes())
attributes.save(path("script-attributes.pt"))
record("script-attributes.pt", "torchscript", attributes.state_dict(), ignored=["plain"])

# 7. Hostile and broken files (never loaded).
# A torch-shaped archive whose data.pkl would call os.system('echo pwned') if a real unpickler ran it.
malicious = b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."
with zipfile.ZipFile(path("malicious.pt"), "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", malicious)
    z.writestr("archive/byteorder", "little")
    z.writestr("archive/version", "3\n")
# A whole pickled module (torch.save(model)): its class is a global the reader must refuse.
with zipfile.ZipFile(path("pickled-module.pt"), "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", b"\x80\x02c__main__\nSmall\nq\x00)\x81q\x01}q\x02b.")
# The first half of a good archive.
with open(path("state-dict.pt"), "rb") as f:
    good = f.read()
with open(path("truncated.pt"), "wb") as f:
    f.write(good[: len(good) // 2])
# A zip that is not a torch archive.
with zipfile.ZipFile(path("no-data-pkl.zip"), "w") as z:
    z.writestr("readme.txt", "not a checkpoint")
# The pre-1.6 format (a bare pickle stream).
torch.save(sd, path("legacy.pt"), _use_new_zipfile_serialization=False)
# A safetensors file whose header claims more bytes for a tensor than its shape needs.
buffer = io.BytesIO()
header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 20]}}).encode()
with open(path("lying-header.safetensors"), "wb") as f:
    f.write(len(header).to_bytes(8, "little") + header + bytes(20))

expected["_hostile"] = ["malicious.pt", "pickled-module.pt", "truncated.pt", "no-data-pkl.zip", "legacy.pt", "lying-header.safetensors"]
with open(path("expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print(f"wrote {len(expected) - 1} readable fixtures and {len(expected['_hostile'])} hostile ones to {OUT}")
