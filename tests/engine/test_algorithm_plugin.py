"""A third-party package registers a search algorithm through the ``nas_ops.algorithms`` entry
point, and `nas-ops search` runs it: the public seam is all an algorithm needs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.configs import write_config
from tests.plugins import install_plugin, plugin_env, pyproject

PYPROJECT = pyproject("nasops-greedy", "0.1.0", "nas_ops.algorithms", "greedy")

MODULE = '''
"""A third-party algorithm: every generation breeds from the single best member."""
from nas_ops.engine import ALGORITHMS, Algorithm
from nas_ops.engine.algorithms import generations, initial_population


@ALGORITHMS.decorator("greedy")
class Greedy(Algorithm):
    name = "greedy"

    def loop(self, arena):
        population = yield from initial_population(arena)
        s = arena.config.search
        for gen, room in generations(arena):
            best = max(population, key=arena.ranking.scalar)
            kids = [c for slot in range(min(s.offspring, room))
                    if (c := arena.breed(gen, slot, f"g{gen:03d}-{slot:03d}", [best]))]
            entering = yield from arena.offspring(kids)
            arena.credit(kids)
            population = self.select(arena.ranking, population + entering, s.population)
            arena.checkpoint(gen, population)
        return population
'''


@pytest.mark.slow
def test_an_entry_point_algorithm_runs_a_search(tmp_path: Path) -> None:
    env = plugin_env(install_plugin(tmp_path, "nasops_greedy", PYPROJECT, MODULE))
    cfg = write_config(tmp_path / "cfg.toml", seed=2, algorithm="greedy", generations=2)
    proc = subprocess.run([sys.executable, "-m", "nas_ops", "search", str(cfg), "--out",
                           str(tmp_path / "run"), "--quiet"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    db = sqlite3.connect(tmp_path / "run" / "ledger.sqlite")
    rows = db.execute("SELECT generation, parents FROM individuals ORDER BY uid").fetchall()
    assert len(rows) == 12  # 4 + 4 x 2, every one evaluated
    assert db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 12
    # each generation's children share one parent: the best member before them
    for gen in (1, 2):
        assert len({p for g, p in rows if g == gen}) == 1
