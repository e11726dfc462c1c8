"""The operator registry: ``register_operator`` and the lookups.

Built-in operators live in the top-level ``operators`` package and register through the
``nas_ops.operators`` entry-point group, like any third-party operator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from nas_ops.errors import ConfigError, unknown
from nas_ops.registry import Registry
from nas_ops.variation.base import FunctionOperator, Operator
from nas_ops.variation.events import DIRECTIONS, FAMILIES

T = TypeVar("T")

OPERATORS: Registry[Operator] = Registry("operator", group="nas_ops.operators")


def register_operator(name: str, *, family: str, arity: int = 1, direction: str = "neutral",
                      version: int = 1, description: str | None = None,
                      function_preserving: bool = False) -> Callable[[T], T]:
    """Register a function ``fn(genome, ctx) -> Genome`` or an :class:`Operator` subclass."""
    if family not in FAMILIES:
        raise unknown("operator family", family, FAMILIES)
    if direction not in DIRECTIONS:
        raise unknown("complexity direction", direction, DIRECTIONS)
    if arity not in (1, 2):
        raise ConfigError(f"operator {name!r}: arity must be 1 or 2, got {arity}")

    def wrap(obj: T) -> T:
        attrs = {"name": name, "family": family, "arity": arity, "direction": direction,
                 "version": version, "function_preserving": function_preserving}
        if isinstance(obj, type) and issubclass(obj, Operator):
            for key, value in attrs.items():
                setattr(obj, key, value)
            if description is not None:
                obj.description = description
            op: Operator = obj()
        elif callable(obj):
            cls = type(f"{name}_operator", (FunctionOperator,),
                       {**attrs, "description": description or "",
                        "__doc__": getattr(obj, "__doc__", None)})
            op = cls(obj)
        else:
            raise ConfigError(f"register_operator({name!r}) needs a function or an Operator "
                              f"subclass, got {type(obj).__name__}")
        meta = op.metadata()
        del meta["name"]
        OPERATORS.register(name, op, **meta)
        return obj

    return wrap


def get_operator(name: str) -> Operator:
    return OPERATORS.get(name)


def list_operators() -> list[dict[str, Any]]:
    """One metadata row per registered operator, sorted by name."""
    return [OPERATORS.get(n).metadata() for n in OPERATORS.names()]


__all__ = ["OPERATORS", "get_operator", "list_operators", "register_operator"]
