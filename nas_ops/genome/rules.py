"""Structural rules a genome must obey: type compatibility tables and size bounds.

The tables are data, owned by a search space: each space passes its own :class:`Rules` to
:func:`nas_ops.genome.validate`. ``DEFAULT_RULES`` is what the built-in multinet space uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nas_ops.genome.nodes import NETWORK_KINDS

if TYPE_CHECKING:
    from nas_ops.genome.genome import Genome

# What each network kind produces (the data type flowing out of it).
PRODUCES: dict[str, str] = {
    "mlp": "values",
    "discrete": "discrete",
    "decoder": "samples",
    "conv_encoder": "values",
    "conv_decoder": "samples",
}

_FLAT = frozenset({"vector", "signal", "image", "values", "discrete", "samples"})


@dataclass(frozen=True)
class Rules:
    """Compatibility tables and bounds of a search space."""

    accepts: dict[str, frozenset[str]] = field(default_factory=lambda: {
        "mlp": _FLAT,
        "discrete": _FLAT,
        "decoder": frozenset({"vector", "values", "discrete"}),
        "conv_encoder": frozenset({"signal", "image"}),
        "conv_decoder": frozenset({"vector", "values", "discrete"}),
    })
    output_accepts: dict[str, frozenset[str]] = field(default_factory=lambda: {
        "classification": frozenset({"discrete"}),
        "regression": frozenset({"values"}),
        "generation": frozenset({"samples"}),
    })
    produces: dict[str, str] = field(default_factory=lambda: dict(PRODUCES))
    network_kinds: tuple[str, ...] = NETWORK_KINDS
    max_networks: int = 8
    max_layers: int = 4
    min_units: int = 1
    max_units: int = 256
    max_latent: int = 64

    def check(self, genome: Genome) -> None:
        """Rules of a space beyond these tables (a benchmark's fixed cell shape, say): raise
        :class:`~nas_ops.errors.GenomeError` naming the node and rule. None here."""

    def produced_type(self, node_kind: str, *, input_dtype: str | None = None) -> str:
        return input_dtype if input_dtype is not None else self.produces[node_kind]

    def kinds_accepting(self, dtype: str) -> list[str]:
        return [k for k in self.network_kinds if dtype in self.accepts.get(k, frozenset())]

    def kinds_producing_for(self, output_kind: str) -> list[str]:
        ok = self.output_accepts[output_kind]
        return [k for k in self.network_kinds if self.produces[k] in ok]


DEFAULT_RULES = Rules()
