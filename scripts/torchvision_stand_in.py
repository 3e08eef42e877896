"""A stand-in for `torchvision` where the installed one does not import (its compiled ops built for another
torch, e.g. PyPI's torchvision beside a locally built torch). Reference scripts that only build models or read
files (timm, open_clip and saev import torchvision at import time without using it there) call
`use_stand_in_if_needed()` before importing them; every `torchvision.*` name then resolves to a placeholder
class, so any real use of torchvision would fail loudly instead of computing something.
"""

import importlib.abc
import importlib.machinery
import sys
import types


class _Anything(type):
    """A class whose every attribute is another such class (for torchvision names used at import time)."""

    def __getattr__(cls, name):
        if name.startswith("__"):  # module and class protocol names (__file__, __path__, ...) stay missing
            raise AttributeError(name)
        return _Anything(name, (), {})


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes `torchvision` and every `torchvision.*` a module whose attributes are `_Anything` classes."""

    def find_spec(self, fullname, path, target=None):
        if fullname == "torchvision" or fullname.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda name: _Anything.__getattr__(_Anything, name)
        if spec.name == "torchvision.datasets.folder":
            module.IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
        return module

    def exec_module(self, module):
        pass


def use_stand_in_if_needed() -> None:
    try:
        import torchvision.datasets  # noqa: F401
        import torchvision.transforms.v2  # noqa: F401
    except Exception:
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
        sys.meta_path.insert(0, _StandInFinder())
