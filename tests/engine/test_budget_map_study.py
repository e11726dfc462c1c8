"""The CI-size budget map (studies/budget_map_ci.toml) end to end: the same edits and seeds in
every cell, each cell's budget, the design meta, and the report built from the ledger."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nas_ops import load_config, load_run, run_study
from nas_ops.errors import ConfigError
from nas_ops.store.ledger import Ledger
from tests.configs import tiny_config

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "studies"))
import budget_map as budget_map_cli  # noqa: E402


def test_ci_budget_map_runs_the_same_edits_in_every_cell(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "studies" / "budget_map_ci.toml", require=("study",))
    run_study(cfg, tmp_path / "run")
    run = load_run(tmp_path / "run")
    by = {i.uid: i for i in run.individuals}
    cells = ["conv.e1", "conv.conv", "conv.e1_lr10", "e1.e1", "e1.conv"]  # e1_lr10: conv only
    assert sorted(by) == sorted(["b000", "b001", "b000.e1", "b001.e1"] + [
        f"{p}v00{b}-000.{c}" for b in (0, 1) for c in cells for p in ("", "m")])
    for b in (0, 1):
        edits = [by[f"v00{b}-000.{c}"] for c in cells]
        assert len({e.hash for e in edits}) == 1  # the same edited genome everywhere
        assert len({e.seed for e in edits}) == 1  # and the same new weights
        assert by[f"b00{b}.e1"].hash == by[f"b00{b}"].hash
        assert by[f"b00{b}.e1"].seed == by[f"b00{b}"].seed
        assert by[f"v00{b}-000.e1.e1"].parents == (f"b00{b}.e1",)
        steps = {c: by[f"v00{b}-000.{c}"].evaluation.steps for c in cells}
        epoch = by[f"b00{b}.e1"].evaluation.steps  # one epoch of this genome
        assert steps["conv.e1"] == steps["e1.e1"] == steps["conv.e1_lr10"] == epoch
        assert epoch <= steps["conv.conv"] <= 2 * epoch
    with Ledger(tmp_path / "run", "r") as ledger:
        design = ledger.meta("cells")
    assert design["parent_states"] == {"conv": None, "e1": 1}
    assert design["members"]["mv001-000.e1.conv"] == ["e1", "conv"]
    assert design["members"]["b000.e1"] == ["e1", ""]

    data = budget_map_cli.report(tmp_path / "run", seed=0, n_boot=50)
    an = data["analysis"]
    assert an["rules"] == ["e1", "conv"] and an["states"] == ["conv", "e1"]
    key = "conv|operator|reinit_network|all"
    assert an["break_even"][key]["bases"] == 2
    assert set(an["control_drift"]) >= {"conv|e1_lr10|class", "e1|conv|class"}
    assert "e1|e1_lr10|class" not in an["control_drift"]
    assert data["config"]["study"]["parent_epochs"] == [1]
    assert budget_map_cli.report(tmp_path / "run", seed=0, n_boot=50) == data


@pytest.mark.parametrize(("study", "line"), [
    ({"retrain": [{"name": "e8", "epoch": 8}]},
     "unknown key study.retrain[0].epoch; valid keys: name, epochs, patience, max_epochs, "
     "lr_scale, measure_start, states"),
    ({"retrain": [{"name": "E8"}]},
     "study.retrain[0].name must be 1-16 lower-case letters, digits or _, got 'E8'"),
    ({"retrain": [{"name": "a"}, {"name": "a"}]},
     "study.retrain[1].name = 'a' is used twice; names must differ"),
    ({"retrain": [{"name": "a", "measure_start": True}]},
     "study.retrain[0].measure_start needs early stopping: set study.retrain[0].patience"),
    ({"retrain": [{"name": "a", "lr_scale": 0}]},
     "study.retrain[0].lr_scale must be a number > 0, got 0"),
    ({"base_patience": 2, "retrain": [{"name": "a", "states": ["e9"]}]},
     "study.retrain[0].states: 'e9' is no parent state of this study; valid: conv"),
    ({"parent_epochs": [5]},
     "study.parent_epochs needs converged bases beside them: set study.base_patience"),
    ({"base_patience": 2, "parent_epochs": [5, 5]},
     "study.parent_epochs = [5, 5] repeats a value"),
])
def test_bad_budget_map_configs_are_one_line(study: dict, line: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as err:
        tiny_config(**{f"study__{k}": v for k, v in study.items()})
    assert str(err.value) == line


@pytest.mark.slow
def test_budget_map_killed_mid_cells_and_resumed_equals_the_straight_run(tmp_path: Path) -> None:
    import subprocess

    from nas_ops.store import run_contents
    from tests.killing import cli, evals, kill_after

    cfg = ROOT / "studies" / "budget_map_ci.toml"
    run_study(load_config(cfg, require=("study",)), tmp_path / "clean")
    killed = tmp_path / "killed"
    # half of the straight run's 24 results: the 4 bases are recorded and the cells' 20 children,
    # one batch, are half kept in table arrived (a fixed delay after the bases let a fast machine
    # finish before the kill)
    total = evals(tmp_path / "clean")
    kill_after(cli("study", str(cfg), "--out", str(killed), "--quiet"), killed, total // 2,
               arrived=True)
    assert run_contents(killed)["status"] == "running"  # killed among the children's cells
    done = subprocess.run(cli("resume", str(killed), "--quiet"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert run_contents(killed) == run_contents(tmp_path / "clean")
    with Ledger(killed, "r") as a, Ledger(tmp_path / "clean", "r") as b:
        assert a.meta("cells") == b.meta("cells")
