"""Searches on the benchmark tables: the ledger holds the tables' values; the test metric is
never used for selection; kill -9 and resume give the identical ledger; a bad space, dataset or
table file is one line, exit 2, nothing written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nas_ops import load_config, load_run, run_search
from nas_ops.cli import main
from nas_ops.config import config_from_dict
from nas_ops.spaces import get_space
from nas_ops.store import run_contents
from nas_ops.tables import get_table, installed_file
from tests.killing import cli, kill_after
from tests.tables.conftest import needs_tables

pytestmark = needs_tables
STUDIES = Path(__file__).resolve().parents[2] / "studies" / "bench"


def _small(name: str, evals: int = 60, **search: object) -> object:
    data = load_config(STUDIES / name).to_dict()
    data["search"].update({"population": 12, "offspring": 12, **search})
    data["budget"]["max_evals"] = evals
    return config_from_dict(data)


@pytest.mark.parametrize("name", ["nbgraph_cora.toml", "nb201.toml"])
def test_a_small_search_records_the_tables_values(name: str, tmp_path: Path) -> None:
    cfg = _small(name)
    run_search(cfg, tmp_path, progress=False)
    run = load_run(tmp_path)
    space = get_space(cfg.space.name)
    table = get_table(space.table, run.individuals[0].genome.inputs[0].id)
    evaluated = [i for i in run.individuals if i.evaluation is not None]
    assert len(evaluated) == 60 and all(i.evaluation.ok for i in evaluated)
    col = "valid_perf" if space.table == "nbgraph" else "baseline_accuracy"
    scale = 1.0 if space.table == "nbgraph" else 100.0
    for ind in evaluated:
        row = table.row(space.key_of(ind.genome))  # type: ignore[attr-defined]
        assert ind.evaluation.val["class"]["accuracy"] * scale == pytest.approx(
            table.columns[col][row], rel=1e-12)
        assert ind.evaluation.steps == (0 if ind.evaluation.status == "duplicate" else 1)


def test_the_test_column_is_never_used_for_selection(tmp_path: Path) -> None:
    cfg = _small("nbgraph_cora.toml", evals=120)
    run_search(cfg, tmp_path / "a", progress=False)
    table = get_table("nbgraph", "cora")
    kept = table.columns["perf"].copy()
    table.columns["perf"][:] = np.random.default_rng(0).permutation(kept)  # swap test values
    try:
        run_search(cfg, tmp_path / "b", progress=False)
    finally:
        table.columns["perf"][:] = kept
    a, b = run_contents(tmp_path / "a"), run_contents(tmp_path / "b")
    tests_a = {u: i["evaluation"].pop("test") for u, i in a["individuals"].items()}
    tests_b = {u: i["evaluation"].pop("test") for u, i in b["individuals"].items()}
    assert tests_a != tests_b  # the test values did change ...
    assert a == b  # ... and nothing else: same children, selections, objectives, credit


def test_bad_space_dataset_backend_or_table_file_is_one_line(tmp_path: Path, capsys) -> None:
    base = (STUDIES / "nbgraph_cora.toml").read_text()
    bad_file = tmp_path / "cora.bench"
    shutil.copy(installed_file("nbgraph", "cora"), bad_file)
    bad_file.write_bytes(bad_file.read_bytes()[:-10])
    cases = {
        "space": (base.replace('name = "nbgraph"\n\n[search]', 'name = "multinet"\n\n[search]'),
                  "space.name = 'multinet' does not fit task 'nbgraph'"),
        "dataset": (base.replace('dataset = "cora"', 'dataset = "coraa"'),
                    "has no dataset 'coraa'; valid: cora, citeseer"),
        "file": (base.replace('dataset = "cora"', f'dataset = "cora"\npath = "{bad_file}"'),
                 "has sha256"),
        "backend": (base.replace('backend = "table"', 'backend = "local"'),
                    "a table's task is answered by backend 'table'"),
    }
    for case, (text, message) in cases.items():
        cfg = tmp_path / f"{case}.toml"
        cfg.write_text(text)
        out = tmp_path / f"run-{case}"
        assert main(["search", str(cfg), "--out", str(out)]) == 2, case
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (case, err)
        assert not out.exists() or not any(out.iterdir()), case




@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["nsga2", "aging"])
def test_killed_and_resumed_table_run_equals_uninterrupted_run(algorithm: str,
                                                               tmp_path: Path) -> None:
    """A table run commits its steps a few times a second (``HOLD_COMMITS_S``): a kill loses
    whole steps, which the resume replays."""
    text = (STUDIES / "nbgraph_cora.toml").read_text().replace('"aging"', f'"{algorithm}"')
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(text)
    clean = tmp_path / "clean"
    run_search(load_config(cfg), clean, progress=False)
    expected = run_contents(clean)
    assert expected["status"] == "finished" and len(expected["individuals"]) == 1000
    killed = tmp_path / "killed"
    kill_after(cli("search", str(cfg), "--out", str(killed), "--quiet"), killed, 100)
    first = run_contents(killed)
    assert first["status"] == "running" and 100 <= len(first["individuals"]) < 1000
    kill_after(cli("resume", str(killed), "--quiet"), killed, len(first["individuals"]) + 100)
    done = subprocess.run(cli("resume", str(killed), "--quiet"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got = run_contents(killed)
    assert got["individuals"] == expected["individuals"]  # every genome, lineage and record
    for key in expected:  # checkpoints' counts and the hypervolume order included
        assert got[key] == expected[key], key
