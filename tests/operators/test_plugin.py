"""A third-party package registers an operator through the ``nas_ops.operators`` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYPROJECT = '''
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "nasops-halving"
version = "0.1.0"

[project.entry-points."nas_ops.operators"]
halving = "nasops_halving"

[tool.setuptools]
packages = ["nasops_halving"]
'''

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
    src, site = tmp_path / "src", tmp_path / "site"
    (src / "nasops_halving").mkdir(parents=True)
    (src / "pyproject.toml").write_text(PYPROJECT)
    (src / "nasops_halving" / "__init__.py").write_text(textwrap.dedent(MODULE))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
          "--no-index", "--target", str(site), str(src)], env)
    assert list(site.glob("nasops_halving-*.dist-info"))
    env["PYTHONPATH"] = str(site)
    listing = _run([sys.executable, "-m", "nas_ops", "operators", "list"], env)
    row = next(line for line in listing.splitlines() if line.startswith("halve_units"))
    assert row.split()[1:4] == ["layer", "1", "shrink"]
    shown = _run([sys.executable, "-m", "nas_ops", "operators", "show", "halve_units"], env)
    assert "description: halve the units of one hidden layer" in shown
    out = _run([sys.executable, "-c", APPLY], env)
    halved = next(line for line in out.splitlines() if line.startswith("halved")).split()
    assert int(halved[3]) < int(halved[2])
    assert "conformance {'ok': 3" in out
