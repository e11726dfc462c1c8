"""The effect model the ``learned`` policy reads: a linear (ridge) model of child minus parent on
each objective of a benchmark table, from the operator, its target, the parent's encoding and
the parent's percentile. :mod:`nas_ops.experiments.effect_fit` fits it and writes the file.

Features of one (parent, operator, target), all 0/1 but the percentile terms:

- ``1`` (intercept);
- ``op=<operator>``; ``<operator>@<k>`` (the target's position ``k``: the node's position in
  (link, ops) on nbgraph, the edge's index in the cell string's order on nb201);
- ``<operator>|replaced=<o>``: the operation the target carries;
- ``pos<k>=<o>``: the parent's operation at every position (its ops, one-hot);
- ``link=<l>`` (nbgraph): the parent's canonical link pattern (one of 9);
- ``<operator>*pct``, ``<operator>*pct2``: the parent's percentile ``p`` and ``p**2``.

The parent's percentile is its mid-rank among the discovery bases' selection values kept in
the file: ``(#below + #equal / 2) / n`` (the operator study's percentile of a discovery base).
The model file is JSON (``format`` :data:`FORMAT`): the table, space, objectives (``class``
first, the selection metric; complexity objectives as log10 differences), operators,
operation vocabulary, feature names, coefficients (one column per objective), the
discovery selection values (sorted), each objective's standard deviation of the observed
effects, and how it was fitted.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nas_ops.errors import ConfigError
from nas_ops.genome import Genome

FORMAT = "nas-ops-effect-model"
VERSION = 1
WHAT = "policy.model"


def feature_names(space: str, operators: Sequence[str], ops: Sequence[str], positions: int,
                  links: int) -> list[str]:
    names = ["1"]
    for op in operators:
        names += [f"op={op}", *(f"{op}@{k}" for k in range(positions)),
                  *(f"{op}|replaced={o}" for o in ops), f"{op}*pct", f"{op}*pct2"]
    names += [f"pos{k}={o}" for k in range(positions) for o in ops]
    names += [f"link={li}" for li in range(links)]
    return names


def arch(genome: Genome) -> tuple[int | None, tuple[str, ...]]:
    """(link pattern index or None, the operations by position) of a table genome."""
    if genome.space == "nbgraph":
        from nas_ops.tables.nbgraph import LINKS
        from search_spaces.nbgraph import arch_of

        link, ops = arch_of(genome)
        return (LINKS.index(link) if link in LINKS else None), tuple(ops)
    from search_spaces.nb201 import ops_of

    return None, tuple(ops_of(genome))


def slot_labels(space: str) -> tuple[str, ...]:
    """The labels the operator study gives a table genome's nodes (nbgraph: ``n0`` .. ``n3`` by
    position in (link, ops)) or edges (nb201: ``e01`` .. ``e23``, in the cell string's order)."""
    if space == "nbgraph":
        return tuple(f"n{k}" for k in range(4))
    from nas_ops.tables.nb201 import EDGES

    return tuple(f"e{i}{j}" for i, j in EDGES)


def slot_ids(genome: Genome) -> list[str]:
    """The node ids of a table genome's nodes (nbgraph) or edges (nb201), in position order."""
    if genome.space == "nbgraph":
        from search_spaces.nbgraph import positions

        return positions(genome)
    from search_spaces.nb201 import edge_ids

    return list(edge_ids(genome))


def slots(genome: Genome) -> dict[str, str]:
    """The study's label of each node or edge of a table genome -> its node id (in position
    order); empty for a genome of another space."""
    if genome.space not in ("nbgraph", "nb201"):
        return {}
    return dict(zip(slot_labels(genome.space), slot_ids(genome), strict=True))


def position(genome: Genome, target: str) -> int:
    """The position of the node (nbgraph) or edge (nb201) ``target``."""
    return slot_ids(genome).index(target)


def mid_percentile(sorted_values: Sequence[float] | np.ndarray, value: float) -> float:
    """``(#below + #equal / 2) / n`` of ``value`` among ``sorted_values``."""
    below = bisect_left(sorted_values, value)  # type: ignore[arg-type]
    equal = bisect_right(sorted_values, value) - below  # type: ignore[arg-type]
    return (below + equal / 2) / len(sorted_values)


@dataclass
class EffectModel:
    table: str
    space: str
    objectives: list[str]
    operators: list[str]
    ops: list[str]
    positions: int
    links: int
    coef: np.ndarray  # features x objectives
    selection_values: np.ndarray  # sorted
    effect_sd: dict[str, float]
    fit: dict[str, Any]
    sha256: str = ""

    def __post_init__(self) -> None:
        self.names = feature_names(self.space, self.operators, self.ops, self.positions,
                                   self.links)
        self.col = {n: k for k, n in enumerate(self.names)}
        if self.coef.shape != (len(self.names), len(self.objectives)):
            raise ConfigError(f"{WHAT}: coefficients of shape {self.coef.shape}, the features "
                              f"need ({len(self.names)}, {len(self.objectives)})")

    def percentile(self, value: float) -> float:
        return mid_percentile(self.selection_values, value)

    def encode(self, link: int | None, ops: Sequence[str], operator: str, pos: int,
               pct: float) -> np.ndarray:
        """The feature vector of one (parent, operator, target)."""
        x = np.zeros(len(self.names))
        c = self.col
        hits = ["1", f"op={operator}", f"{operator}@{pos}", f"{operator}|replaced={ops[pos]}",
                *(f"pos{k}={o}" for k, o in enumerate(ops))]
        if link is not None:
            hits.append(f"link={link}")
        for name in hits:
            if name in c:
                x[c[name]] = 1.0
        if f"{operator}*pct" in c:
            x[c[f"{operator}*pct"]] = pct
            x[c[f"{operator}*pct2"]] = pct * pct
        return x

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted effects (rows of ``x`` x objectives)."""
        return np.asarray(x @ self.coef)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "table": self.table, "space": self.space,
                "objectives": self.objectives, "operators": self.operators, "ops": self.ops,
                "positions": self.positions, "links": self.links, "features": self.names,
                "coef": self.coef.tolist(), "selection_values": self.selection_values.tolist(),
                "effect_sd": self.effect_sd, "fit": self.fit}

    def write(self, path: str | Path) -> None:
        from nas_ops.infra.files import write_atomic

        write_atomic(Path(path), json.dumps(self.to_dict(), sort_keys=True) + "\n")


def load_model(path: str | Path) -> EffectModel:
    """The effect model of ``path``; one-line ConfigError when it is missing or not one."""
    p = Path(path)
    try:
        raw = p.read_bytes()
        data = json.loads(raw)
    except OSError as exc:
        raise ConfigError(f"{WHAT} = {str(path)!r}: cannot read it ({exc.strerror})") from None
    except ValueError:
        raise ConfigError(f"{WHAT} = {str(path)!r}: not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT \
            or data.get("version") != VERSION:
        raise ConfigError(f"{WHAT} = {str(path)!r}: not an effect model of format {FORMAT!r} "
                          f"version {VERSION} (fit one with studies/policy_results.py fit)")
    try:
        model = EffectModel(
            data["table"], data["space"], list(data["objectives"]), list(data["operators"]),
            list(data["ops"]), int(data["positions"]), int(data["links"]),
            np.asarray(data["coef"], dtype=float),
            np.asarray(data["selection_values"], dtype=float), dict(data["effect_sd"]),
            dict(data["fit"]), hashlib.sha256(raw).hexdigest())
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{WHAT} = {str(path)!r}: a field is missing or malformed "
                          f"({exc})") from None
    if model.names != list(data["features"]):
        raise ConfigError(f"{WHAT} = {str(path)!r}: its features are not the ones this version "
                          "of nas-ops builds; fit it again")
    return model


__all__ = ["FORMAT", "VERSION", "EffectModel", "arch", "feature_names", "load_model",
           "mid_percentile", "position"]
