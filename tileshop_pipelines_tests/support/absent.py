"""Packages made to look not installed in a subprocess, as in an image that lacks them: the script
`without(...)` returns runs first and takes them off the path finder, so `import torch` raises
ModuleNotFoundError and `importlib.util.find_spec("torch")` is None, as where torch is not installed.
(Setting `sys.modules[name] = None` is not the same: Cython's import fast path, pyarrow's among
them, returns that None instead of raising.)"""

from __future__ import annotations


def without(*packages: str) -> str:
    """Python source hiding the top-level `packages`; put it before the script's own code."""
    return (
        "import importlib.machinery as _machinery, sys as _sys\n"
        "class _WithoutPackages(_machinery.PathFinder):\n"
        f"    hidden = frozenset({sorted(packages)!r})\n"
        "    @classmethod\n"
        "    def find_spec(cls, name, path=None, target=None):\n"
        "        if name.partition('.')[0] in cls.hidden:\n"
        "            return None\n"
        "        return super().find_spec(name, path, target)\n"
        "assert not [name for name in _WithoutPackages.hidden if name in _sys.modules], 'already imported'\n"
        "_sys.meta_path[_sys.meta_path.index(_machinery.PathFinder)] = _WithoutPackages\n"
    )
