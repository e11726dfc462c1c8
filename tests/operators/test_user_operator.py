"""User operators registered with the decorator are conformance-tested like built-ins."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nas_ops.genome import Genome
from nas_ops.testing.operators import check_operator, example_genomes
from nas_ops.variation import OPERATORS, VariationContext, register_operator

ROOT = Path(__file__).resolve().parents[2]


def _shuffle_inputs(genome: Genome, ctx: VariationContext) -> Genome:
    """Reverse the input order of one multi-input network."""
    guard = ctx.protected(genome)
    target = ctx.choice("network", [n.id for n in genome.networks if n.id not in guard
                                    and len(genome.predecessors(n.id)) > 1])
    incoming = iter(reversed([e for e in genome.edges if e[1] == target]))
    return genome.replace(edges=tuple(next(incoming) if e[1] == target else e
                                      for e in genome.edges))


def _careless(genome: Genome, ctx: VariationContext) -> Genome:
    """Drop the last layer of the first network with one, ignoring safe outputs."""
    net = next(n for n in genome.networks if n.layers and n.kind in ("mlp", "discrete"))
    return genome.replace_network(net.with_layers(net.layers[:-1]))


def test_decorated_function_passes_the_suite() -> None:
    register_operator("user_shuffle_inputs", family="connection")(_shuffle_inputs)
    try:
        counts = check_operator("user_shuffle_inputs", example_genomes(6), seeds=(0,))
        assert counts["ok"] > 0
    finally:
        OPERATORS.unregister("user_shuffle_inputs")


def test_the_suite_catches_an_operator_that_ignores_safe_outputs() -> None:
    register_operator("user_careless", family="layer", direction="shrink")(_careless)
    try:
        with pytest.raises(AssertionError, match="safe"):
            check_operator("user_careless", example_genomes(6), seeds=(0,))
    finally:
        OPERATORS.unregister("user_careless")


PLUGIN = '''
from nas_ops.variation import register_operator


@register_operator("plug_reverse_inputs", family="connection")
def reverse(genome, ctx):
    """Reverse the input order of one multi-input network."""
    guard = ctx.protected(genome)
    target = ctx.choice("network", [n.id for n in genome.networks if n.id not in guard
                                    and len(genome.predecessors(n.id)) > 1])
    incoming = iter(reversed([e for e in genome.edges if e[1] == target]))
    return genome.replace(edges=tuple(next(incoming) if e[1] == target else e
                                      for e in genome.edges))
'''


@pytest.mark.slow
def test_registered_before_collection_joins_the_parametrized_suite(tmp_path: Path) -> None:
    (tmp_path / "userplug.py").write_text(textwrap.dedent(PLUGIN))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "userplug", "-p", "no:cacheprovider",
           "tests/operators/test_conformance.py", "-k", "plug_reverse_inputs"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "8 passed" in proc.stdout
