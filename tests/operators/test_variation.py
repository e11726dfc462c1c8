"""The built-in operator library as a whole: parents never mutated, `applicable` agrees."""

from __future__ import annotations

import numpy as np

from nas_ops.genome import Genome, to_json
from nas_ops.variation import (
    OPERATORS,
    apply_operator,
    get_operator,
)


def test_operators_never_mutate_parents(genomes: list[Genome]) -> None:
    for g in genomes[:3]:
        before = to_json(g)
        for name in OPERATORS.names():
            apply_operator(name, g, 0)
        assert to_json(g) == before


def test_applicable_agrees_with_call(genomes: list[Genome]) -> None:
    rng = np.random.default_rng(0)
    for g in genomes:
        for name in OPERATORS.names():
            seed = int(rng.integers(1000))
            expect = "ok" if get_operator(name).applicable(g) else "not_applicable"
            assert apply_operator(name, g, seed).event.status == expect, name
