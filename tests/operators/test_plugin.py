"""A third-party package registers an operator through the ``nas_ops.operators`` entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins import install_plugin, plugin_env, pyproject

PYPROJECT = pyproject("nasops-halving", "0.1.0", "nas_ops.operators", "halving")

MODULE = '''
"""A third-party operator: halve the units of one hidden layer."""
import dataclasses

from nas_ops.variation import register_operator


@register_operator("halve_units", family="layer", direction="shrink",
                   description="halve the units of one hidden layer")
def halve_units(genome, ctx):
    guard = ctx.protected(genome)
    sites = [(n.id, j) for n in genome.networks if n.id not in guard
             for j, layer in enumerate(n.layers) if layer.units >= 2]
    nid, j = ctx.choice("layer", sites)
    net = genome.network(nid)
    layers = list(net.layers)
    layers[j] = dataclasses.replace(layers[j], units=layers[j].units // 2)
    return genome.replace_network(net.with_layers(tuple(layers)))
'''

APPLY = '''
from nas_ops.testing.operators import check_operator, example_genomes
from nas_ops.variation import apply_operator

g = example_genomes(1)[0]
res = apply_operator("halve_units", g, seed=0)
assert res.ok, res.event.reason
(nid,) = res.event.diff["nodes_changed"]
print("halved", nid, sum(l.units for l in g.network(nid).layers),
      sum(l.units for l in res.children[0].network(nid).layers))
print("conformance", check_operator("halve_units", example_genomes(3), seeds=(0,)))
'''


def _run(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.slow
def test_installed_plugin_is_listed_and_applied(tmp_path: Path) -> None:
    site = install_plugin(tmp_path, "nasops_halving", PYPROJECT, MODULE)
    assert list(site.glob("nasops_halving-*.dist-info"))
    env = plugin_env(site)
    listing = _run([sys.executable, "-m", "nas_ops", "operators", "list"], env)
    row = next(line for line in listing.splitlines() if line.startswith("halve_units"))
    assert row.split()[1:4] == ["layer", "1", "shrink"]
    shown = _run([sys.executable, "-m", "nas_ops", "operators", "show", "halve_units"], env)
    assert "description: halve the units of one hidden layer" in shown
    out = _run([sys.executable, "-c", APPLY], env)
    halved = next(line for line in out.splitlines() if line.startswith("halved")).split()
    assert int(halved[3]) < int(halved[2])
    assert "conformance {'ok': 3" in out
