"""Generate test vectors for Python's ``repr`` of strings and of frozen dataclasses.

saev writes ``metadata.json``'s ``data`` field as ``str(cfg.data)``, the repr of a
frozen dataclass such as ``ImageFolderDataset(root='./data/split')``, and the
dataclass repr formats every field with ``repr``.  saev-tfjs re-implements both
(``src/python/python-repr.ts``); this script writes
``test/fixtures/python-repr-vectors.json``:

    {
      "python": "3.11.7",
      "unicode": "14.0.0",
      "strings":     [{"name": str, "text": str, "repr": str}, ...],
      "dataclasses": [{"name": str, "class": str,
                       "fields": [[field, value], ...], "repr": str}, ...]
    }

``repr`` is exactly what Python returns.  Texts are tricky on purpose: both quote
kinds, backslash, tab/newline/CR, C0 controls, DEL, C1 controls, no-break space,
non-ASCII printable letters, zero-width and line/paragraph separators, BOM,
private use, unassigned, an astral emoji, astral format characters, and lone
surrogates (JSON carries them as ``\\udXXX`` escapes).  Only long-stable Unicode
properties are used, so the expected values do not depend on the Unicode version
of either Python or the JavaScript engine.

Run: python3 scripts/make-repr-vectors.py   (standard library only; deterministic).
"""

import dataclasses
import json
import pathlib
import sys
import unicodedata

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "python-repr-vectors.json"

STRINGS = [
    ("plain", "./data/split"),
    ("empty", ""),
    ("single-quote", "it's"),
    ("double-quote", 'say "hi"'),
    ("both-quotes", "it's \"both\""),
    ("backslash", "C:\\dir\\file"),
    ("single-quote-and-backslash", "it's C:\\x"),
    ("tab-newline-cr", "a\tb\nc\rd"),
    ("c0-controls", "\x00\x01\x07\x08\x0b\x0c\x1b\x1f"),
    ("del-7f", "x\x7fy"),
    ("c1-controls", "\x80\x85\x9f"),
    ("nbsp-a0", "a\xa0b"),
    ("latin1-printable", "donn\xe9es \xbf\xff"),
    ("cjk-printable", "/donn\u00e9es/\u732b\u3068\u72ac"),
    ("zero-width-space-200b", "a\u200bb"),
    ("line-para-sep-2028-2029", "a\u2028b\u2029c"),
    ("bom-feff", "\ufeffroot"),
    ("ideographic-space-3000", "a\u3000b"),
    ("private-use-e000", "\ue000"),
    ("unassigned-0378", "\u0378"),
    ("emoji-astral", "cat \U0001F63A"),
    ("astral-format-e0001", "\U000E0001tag"),
    ("lone-high-surrogate", "a\ud800b"),
    ("lone-low-surrogate", "\udc00"),
]


@dataclasses.dataclass(frozen=True)
class ImageFolderDataset:
    root: str


@dataclasses.dataclass(frozen=True)
class FakeDataset:
    n_imgs: int
    shuffle: bool
    name: str


DATACLASSES = [
    ("imagefolder-plain", ImageFolderDataset(root="./data/split")),
    ("imagefolder-tricky", ImageFolderDataset(root="/donn\u00e9es/it's \"x\"\\\t\u200b\U0001F63A")),
    ("fake-int-bool-true", FakeDataset(n_imgs=1281167, shuffle=True, name="fake")),
    ("fake-int-bool-false", FakeDataset(n_imgs=0, shuffle=False, name="")),
]


def main():
    strings = [{"name": name, "text": text, "repr": repr(text)} for name, text in STRINGS]
    classes = []
    for name, obj in DATACLASSES:
        fields = [[f.name, getattr(obj, f.name)] for f in dataclasses.fields(obj)]
        classes.append({"name": name, "class": type(obj).__qualname__, "fields": fields, "repr": repr(obj)})
    # Self-checks on the cases the comments above promise.
    assert repr("it's") == '"it\'s"'
    assert repr("a\ud800b") == "'a\\ud800b'"
    assert repr(FakeDataset(1, True, "x")) == "FakeDataset(n_imgs=1, shuffle=True, name='x')"
    doc = {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "unicode": unicodedata.unidata_version,
        "strings": strings,
        "dataclasses": classes,
    }
    # ensure_ascii keeps lone surrogates as \udXXX escapes that JSON.parse understands.
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=True) + "\n", encoding="ascii")
    print(f"wrote {OUT} ({len(strings)} strings, {len(classes)} dataclasses)")


if __name__ == "__main__":
    main()
