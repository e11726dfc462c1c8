"""Typed registries: decorator registration, collision errors, metadata, entry points."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Generic, TypeVar

from nas_ops.errors import RegistryCollisionError, unknown

T = TypeVar("T")


@dataclass
class Registry(Generic[T]):
    """A name -> object map with metadata.

    ``kind`` names the entries in messages ("operator", "search space", ...). ``group`` is the
    entry-point group whose modules are imported lazily, the first time the registry is read, so
    that third-party packages can register their entries on import.
    """

    kind: str
    group: str | None = None
    _entries: dict[str, T] = field(default_factory=dict)
    _meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    _origins: dict[str, str] = field(default_factory=dict)  # name -> "distribution version"
    _loaded_entry_points: bool = False
    _builtin_loader: Callable[[], None] | None = None

    def register(self, name: str, obj: T, **meta: Any) -> T:
        if not name or not isinstance(name, str):
            raise RegistryCollisionError(f"{self.kind} name must be a non-empty string, "
                                         f"got {name!r}")
        if name in self._entries:
            raise RegistryCollisionError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = obj
        self._meta[name] = dict(meta)
        return obj

    def decorator(self, name: str, **meta: Any) -> Callable[[T], T]:
        def wrap(obj: T) -> T:
            return self.register(name, obj, **meta)

        return wrap

    def unregister(self, name: str) -> None:
        self._load()
        if name not in self._entries:
            raise unknown(self.kind, name, list(self._entries))
        del self._entries[name]
        del self._meta[name]
        self._origins.pop(name, None)

    def set_builtin_loader(self, loader: Callable[[], None]) -> None:
        self._builtin_loader = loader

    def _load(self) -> None:
        if self._builtin_loader is not None:
            loader, self._builtin_loader = self._builtin_loader, None
            loader()
        if self.group is None or self._loaded_entry_points:
            return
        self._loaded_entry_points = True
        for ep in metadata.entry_points(group=self.group):
            before = set(self._entries)
            ep.load()
            if ep.dist is not None:
                for name in set(self._entries) - before:
                    self._origins[name] = f"{ep.dist.name} {ep.dist.version}"

    def get(self, name: str) -> T:
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            raise unknown(self.kind, name, list(self._entries)) from None

    def meta(self, name: str) -> dict[str, Any]:
        self.get(name)
        return dict(self._meta[name])

    def origin(self, name: str) -> str:
        """``"distribution version"`` of the package whose entry point registered ``name``, or
        ``""`` (registered in code, or a built-in loaded without an entry point)."""
        self._load()
        return self._origins.get(name, "")

    def names(self) -> list[str]:
        self._load()
        return sorted(self._entries)

    def in_order(self) -> list[str]:
        """The names in registration order (built-ins as their modules register them, then
        those of entry points): the order a config error lists the valid choices in."""
        self._load()
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load()
        return len(self._entries)
