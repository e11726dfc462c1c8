"""The conformance suite over the whole operator registry.

Parametrized from ``OPERATORS.names()`` at collection time, so an operator registered before
collection (a built-in, an installed plugin, one registered by a conftest or a ``-p`` plugin) is
tested with no change here.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_ops.testing.operators import (
    CHECKS,
    check_chain,
    example_genomes,
    parents_for,
)
from nas_ops.variation import OPERATORS

NAMES = OPERATORS.names()
GENOMES = example_genomes(4, spaces=("multinet", "mlp"))


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("name", NAMES)
def test_conformance(name: str, check: str) -> None:
    for k, genome in enumerate(GENOMES):
        CHECKS[check](name, parents_for(name, genome, k), k)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**20),
       space=st.sampled_from(["multinet", "mlp"]), task=st.integers(0, 2))
def test_conformance_random_genomes(name: str, seed: int, space: str, task: int) -> None:
    genome = example_genomes(task + 1, seed=seed, spaces=(space,))[task]
    parents = parents_for(name, genome, seed)
    for check in CHECKS.values():
        check(name, parents, seed)


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**20), task=st.integers(0, 2))
def test_short_random_chains_stay_valid(seed: int, task: int) -> None:
    genome = example_genomes(task + 1, seed=seed)[task]
    applied = check_chain(genome, 40, seed)
    assert len(applied) == 40


@pytest.mark.slow
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**20), task=st.integers(0, 2),
       space=st.sampled_from(["multinet", "mlp"]))
def test_chains_of_200_operators_stay_valid(seed: int, task: int, space: str) -> None:
    genome = example_genomes(task + 1, seed=seed, spaces=(space,))[task]
    applied = check_chain(genome, 200, seed)
    assert len(applied) == 200


def test_every_builtin_is_parametrized() -> None:
    builtin = {"add_connection", "remove_connection", "divide_connection", "bypass_network",
               "reinit_network", "clone_network", "add_layer", "remove_layer", "change_units",
               "change_activation", "change_initializer", "toggle_dropout", "toggle_batchnorm",
               "change_learning_rate", "change_batch_size", "change_loss_weights",
               "change_optimizer", "swap_network", "widen_layer", "deepen_network"}
    assert builtin <= set(NAMES)


# ------------------------------------------------------------ the benchmark-table spaces
def _table_genomes() -> list:
    from nas_ops.rng import generator
    from nas_ops.spaces import get_space
    from nas_ops.tables import available
    from nas_ops.testing.operators import table_tasks

    out = []
    for name, datasets in (("nbgraph", ("cora", "proteins")), ("nb201", ("cifar10",))):
        space = get_space(name)
        if not available(space.table):
            continue
        for task in table_tasks(space):
            if task.inputs[0].name in datasets:
                for k in range(2):
                    g = space.sample(task, generator(k, "table example"))
                    out.append(g.with_lineage(f"{name}{len(out)}", (), None))
    return out


TABLE_GENOMES = _table_genomes()
needs_tables = pytest.mark.skipif(not TABLE_GENOMES, reason="the 'bench' extra is not installed")


@needs_tables
@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("name", NAMES)
def test_conformance_on_table_spaces(name: str, check: str) -> None:
    for k, genome in enumerate(TABLE_GENOMES):
        CHECKS[check](name, parents_for(name, genome, k), k)


@needs_tables
def test_only_a_spaces_own_operators_apply_to_it() -> None:
    from nas_ops.testing.operators import run

    for k, genome in enumerate(TABLE_GENOMES):
        ok = {n for n in NAMES if run(n, parents_for(n, genome, k), k).ok}
        assert ok == {n for n in NAMES if n.startswith(genome.space + "_")}, genome.space
    for k, genome in enumerate(GENOMES):  # and theirs do not apply to other spaces
        for name in NAMES:
            if name.startswith(("nbgraph_", "nb201_")):
                res = run(name, parents_for(name, genome, k), k)
                assert res.event.status == "not_applicable", name
                assert "is for space" in res.event.reason


@needs_tables
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**20), which=st.integers(0, 5))
def test_table_chains_stay_valid(seed: int, which: int) -> None:
    genome = TABLE_GENOMES[which % len(TABLE_GENOMES)]
    applied = check_chain(genome, 40, seed)
    assert len(applied) == 40 and set(applied) <= {n for n in NAMES if n.startswith(
        genome.space + "_")}
