"""Every child an operator can make of a table architecture, found by the operator's own code.

:func:`walk` enumerates an operator's decision tree: it runs the operator's ``_apply`` (the code
a search runs) with a context whose ``choice`` takes a planned option at each decision, and
plans the next path like an odometer whose wheel sizes are the option counts the operator
offered, until every path is taken. So "every target with every value" is exactly what the
operator would draw among, with nothing re-implemented here. Operators that draw numbers
(``integers``, ``uniform``) cannot be walked and are refused.

:func:`neighbourhood` walks every mutation operator of a table's space over a set of its rows
and returns the children as arrays (parent row, child row, operator, target, value); the
neighbourhood depends on the dataset only through its operations, so it is computed once per
set of rows and operations in a process. :func:`crossover_children` samples crossovers: a
partner drawn uniformly from the given rows, then the operator's own uniform draw.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nas_ops.genome.genome import Genome
from nas_ops.spaces import get_space
from nas_ops.tables import Table
from nas_ops.variation import Operator, VariationContext, get_operator
from nas_ops.variation.context import NotApplicable

MUTATIONS = {"nbgraph": ("nbgraph_change_op", "nbgraph_rewire"),
             "nb201": ("nb201_change_op",)}
CROSSOVER = {"nbgraph": "nbgraph_crossover", "nb201": "nb201_crossover"}


class _Walk(VariationContext):
    """A context that takes ``path[k]`` at decision ``k`` (0 past its end) and keeps the
    number of options each decision offered."""

    path: list[int]
    widths: list[int]

    def choice(self, name: str, options: Sequence[Any]) -> Any:
        if not options:
            raise NotApplicable(f"no candidate for {name!r}")
        k = len(self.decisions)
        self.widths.append(len(options))
        value = options[self.path[k] if k < len(self.path) else 0]
        self._record(name, value)
        return value

    def integers(self, name: str, low: int, high: int) -> int:
        raise TypeError(f"decision {name!r} draws a number: the operator cannot be walked")

    def uniform(self, name: str, low: float, high: float) -> float:
        raise TypeError(f"decision {name!r} draws a number: the operator cannot be walked")


Walked = tuple[list[dict[str, Any]], tuple[Any, ...]]  # decisions, the children made


def walk(op: Operator, parents: Sequence[Genome]) -> list[Walked]:
    """Every (decisions, children) the operator can give ``parents``, in decision order."""
    space = get_space(parents[0].space)
    out: list[Walked] = []
    path: list[int] = []
    while True:
        ctx = _Walk(np.random.Generator(np.random.PCG64(0)), space)
        ctx.path, ctx.widths = path, []
        try:
            made = op._apply(tuple(parents), ctx)
        except NotApplicable:
            return out
        out.append((ctx.decisions, made if isinstance(made, tuple) else (made,)))
        taken = [*path, *[0] * (len(ctx.widths) - len(path))]
        level = next((j for j in reversed(range(len(taken))) if taken[j] + 1 < ctx.widths[j]),
                     None)
        if level is None:
            return out
        path = [*taken[:level], taken[level] + 1]


@dataclass(frozen=True)
class Children:
    """Children as arrays, one entry per child: the parent's and the child's table rows, the
    operator (index into ``operators``), the target, the value and what the target was in the
    parent (indices into ``labels``; the target is the first decision, the value the last, and
    ``before`` the parent's operation at the target, -1 when the target is no network)."""

    parent: np.ndarray
    child: np.ndarray
    operator: np.ndarray
    target: np.ndarray
    value: np.ndarray
    before: np.ndarray
    operators: tuple[str, ...]
    labels: tuple[str, ...]


def _label(value: Any) -> str:
    return "+".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


class _Collect:
    def __init__(self, operators: Sequence[str]) -> None:
        self.operators = tuple(operators)
        self.labels: dict[str, int] = {}
        self.cols: list[list[int]] = [[], [], [], [], [], []]

    def code(self, label: str) -> int:
        return self.labels.setdefault(label, len(self.labels))

    def add(self, parent: int, child: int, op: int, decisions: list[dict[str, Any]],
            base: Genome) -> None:
        target = decisions[0]["value"]
        before = self.code(base.network(target).kind) \
            if isinstance(target, str) and target in base.network_ids else -1
        values = (parent, child, op, self.code(_label(target)),
                  self.code(_label(decisions[-1]["value"])), before)
        for col, v in zip(self.cols, values, strict=True):
            col.append(v)

    def done(self) -> Children:
        a = [np.asarray(c, dtype=np.int64) for c in self.cols]
        return Children(parent=a[0], child=a[1], operator=a[2], target=a[3], value=a[4],
                        before=a[5], operators=self.operators, labels=tuple(self.labels))


def neighbourhood(table: Table, rows: Sequence[int]) -> Children:
    """Every child of every mutation operator of the table's space, at every target with every
    value, for the architectures ``rows``."""
    return _neighbourhood(table.name, table.dataset, tuple(table.keys), tuple(rows))


@functools.lru_cache(maxsize=2)
def _cached(name: str, ops_key: tuple[str, ...], keys: tuple[Any, ...],
            rows: tuple[int, ...], dataset: str) -> Children:
    space = get_space(name)
    index = {k: r for r, k in enumerate(keys)}
    found = _Collect(MUTATIONS[name])
    for r in rows:
        base = space.genome_of_key(dataset, keys[r])  # type: ignore[attr-defined]
        for j, op_name in enumerate(found.operators):
            for decisions, made in walk(get_operator(op_name), (base,)):
                found.add(r, index[space.key_of(made[0])],  # type: ignore[attr-defined]
                          j, decisions, base)
    return found.done()


def _neighbourhood(name: str, dataset: str, keys: tuple[Any, ...],
                   rows: tuple[int, ...]) -> Children:
    from nas_ops.tables import nbgraph

    ops = nbgraph.ops_of(dataset) if name == "nbgraph" else ()
    # the same table keys and operations give the same neighbourhood on every dataset
    same = next((d for d in ("cora", "proteins") if name == "nbgraph"
                 and nbgraph.ops_of(d) == ops), dataset)
    return _cached(name, ops, keys, rows, same)


def crossover_children(table: Table, rows: Sequence[int], partners: int,
                       rng: np.random.Generator) -> tuple[Children, int]:
    """For each row, ``partners`` crossovers: a partner drawn uniformly from ``rows`` (not the
    row itself), then the operator's own uniform draw of what to exchange; the first child is
    compared with the first parent (as an effect row is). Returns the children and the number
    of draws where the operator did not apply (the partner's operations leave nothing to
    exchange)."""
    space = get_space(table.name)
    op = get_operator(CROSSOVER[table.name])
    found = _Collect((op.name,))
    pool = np.asarray(rows, dtype=np.int64)
    skipped = 0
    genomes: dict[int, Genome] = {}

    def genome(r: int) -> Genome:
        if r not in genomes:
            genomes[r] = space.genome_of_key(  # type: ignore[attr-defined]
                table.dataset, table.keys[r])
        return genomes[r]

    for i, r in enumerate(pool):
        for _ in range(partners):
            j = int(rng.integers(len(pool) - 1))
            mate = int(pool[j + (j >= i)])
            ctx = VariationContext(rng, space)
            try:
                made = tuple(op._apply((genome(int(r)), genome(mate)), ctx))  # type: ignore[arg-type]
            except NotApplicable:
                skipped += 1
                continue
            found.add(int(r), table.row(space.key_of(made[0])),  # type: ignore[attr-defined]
                      0, ctx.decisions, genome(int(r)))
    return found.done(), skipped


__all__ = ["CROSSOVER", "MUTATIONS", "Children", "crossover_children", "neighbourhood", "walk"]
