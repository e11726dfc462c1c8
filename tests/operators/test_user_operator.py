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
from tests.operators.user_ops import shuffle_inputs

ROOT = Path(__file__).resolve().parents[2]


def _careless(genome: Genome, ctx: VariationContext) -> Genome:
    """Drop the last layer of the first network with one, ignoring safe outputs."""
    net = next(n for n in genome.networks if n.layers and n.kind in ("mlp", "discrete"))
    return genome.replace_network(net.with_layers(net.layers[:-1]))


def test_decorated_function_passes_the_suite() -> None:
    register_operator("user_shuffle_inputs", family="connection")(shuffle_inputs)
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
from tests.operators.user_ops import shuffle_inputs

register_operator("plug_reverse_inputs", family="connection")(shuffle_inputs)
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
    # 8 cases on multi-network genomes and 8 on the benchmark tables' genomes (refused there)
    assert "16 passed" in proc.stdout
