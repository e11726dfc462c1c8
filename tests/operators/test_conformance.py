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
