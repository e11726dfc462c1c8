"""`nas-ops resume RUN --max-evals N` extends a finished run to the run that asked for N from
the start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nas_ops.cli import main
from nas_ops.store import load_run, run_contents

pytestmark = pytest.mark.slow


def _contents(run_dir: Path) -> dict[str, Any]:
    contents = run_contents(run_dir)
    contents["config"]["budget"].pop("max_evals")
    return contents


@pytest.mark.parametrize("algorithm", ["nsga2", "aging"])
def test_extended_run_equals_a_run_asked_for_more(tiny_config, tmp_path: Path,  # noqa: ANN001
                                                  algorithm: str) -> None:
    cfg = str(tiny_config(seed=6, algorithm=algorithm))  # population 4, offspring 4, 2 gens
    short, fresh = tmp_path / "short", tmp_path / "fresh"
    # 6 and 10 both end inside a generation (aging: inside a population's worth of children)
    assert main(["search", cfg, "--out", str(short), "--max-evals", "6", "--quiet"]) == 0
    assert main(["resume", str(short), "--max-evals", "10", "--quiet"]) == 0
    assert main(["search", cfg, "--out", str(fresh), "--max-evals", "10", "--quiet"]) == 0
    assert _contents(short) == _contents(fresh)
    assert load_run(short).config.budget.max_evals == 10
    assert len(load_run(short).evaluated()) == 10


def test_extension_must_add_evaluations(tiny_config, tmp_path: Path,  # noqa: ANN001
                                        capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert main(["search", str(tiny_config(seed=7)), "--out", str(run), "--max-evals", "2",
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["resume", str(run), "--max-evals", "2", "--quiet"]) == 2
    assert "does not extend this run, which has max_evals = 2" in capsys.readouterr().err
    assert main(["resume", str(run), "--max-evals", "13", "--quiet"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "search.generations = 2 allows (population + offspring x generations = 12)" in line
    assert load_run(run).config.budget.max_evals == 2
