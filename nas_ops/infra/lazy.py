"""Names a package exports but imports on first use (PEP 562's module ``__getattr__``), so that
importing the package, reading a registry or reading a run imports no torch."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def exports(modules: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, str]]:
    """``{name: (module, name)}`` for each module's names."""
    return {name: (module, name) for module, names in modules.items() for name in names}


def loader(package: str, lazy: Mapping[str, tuple[str, str]]) -> tuple[
        Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``lazy`` maps an exported name to
    ``(module, attribute)``; the value is imported on first use and kept in the package."""
    def getattr_(name: str) -> Any:
        if name not in lazy:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attr = lazy[name]
        value = getattr(importlib.import_module(module), attr)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(lazy))

    return getattr_, dir_
