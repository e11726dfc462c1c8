"""A run resumes with the operators registered when it started, whatever is installed now: a
real plugin package installed with ``pip install --target`` (see tests/operators/test_plugin.py).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nas_ops.store import load_run, run_contents
from tests.configs import write_config
from tests.killing import cli, kill_after
from tests.operators.test_plugin import MODULE, PYPROJECT
from tests.plugins import install_plugin, plugin_env

pytestmark = pytest.mark.slow

def test_plugin_installed_or_removed_after_the_start(tmp_path: Path) -> None:
    site = install_plugin(tmp_path, "nasops_halving", PYPROJECT, MODULE)
    bare, with_plugin = plugin_env(), plugin_env(site)
    cfg = write_config(tmp_path / "cfg.toml", seed=2, generations=2)  # [policy] operators = []

    clean = tmp_path / "clean"
    subprocess.run(cli("search", str(cfg), "--out", str(clean), "--quiet"), env=bare,
                   check=True, capture_output=True)
    ops = load_run(clean).meta.components["operators"]
    assert "halve_units" not in {o["name"] for o in ops}
    assert all(o["distribution"].startswith("nas-ops ") for o in ops)

    # started without the plugin, resumed with it installed: the same run
    run = tmp_path / "run"
    kill_after(cli("search", str(cfg), "--out", str(run), "--quiet"), run, 6, env=bare)
    done = subprocess.run(cli("resume", str(run), "--quiet"), env=with_plugin,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert run_contents(run) == run_contents(clean)

    # started with the plugin, resumed without it: one line naming it and its distribution
    plugged = tmp_path / "plugged"
    kill_after(cli("search", str(cfg), "--out", str(plugged), "--quiet"), plugged, 1,
               env=with_plugin)
    ops = load_run(plugged).meta.components["operators"]
    assert {"name": "halve_units", "distribution": "nasops-halving 0.1.0", "version": 1} in ops
    gone = subprocess.run(cli("resume", str(plugged), "--quiet"), env=bare,
                          capture_output=True, text=True)
    assert gone.returncode == 2
    assert gone.stderr.strip().splitlines() == [
        "nas-ops: error: this run used operator 'halve_units' (distribution nasops-halving "
        "0.1.0), which is not installed now; install it to resume the run"]
