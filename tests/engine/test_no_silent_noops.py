"""No silent no-ops (issue 25, point 7): a config under which no child can be bred is refused in
one line before anything is written; a study whose bases are all at chance says why it bred no
child; ``epochs``, ``base_models`` and ``--max-evals`` have the same upper bounds in ``search``,
``resume`` and ``study``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from nas_ops.cli import main
from nas_ops.config import MAX_BASE_MODELS, MAX_EPOCHS, MAX_EVALS
from nas_ops.store.ledger import Ledger
from tests.cli.test_bad_inputs import assert_nothing_written, one_error_line
from tests.configs import write_config


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"search__safe_outputs": ["class", "histogram", "reconstruction"]},
     "search.safe_outputs names every output of task 'mnist1d' (class, histogram, "
     "reconstruction): no edit may then touch the model, so no child could ever be bred; leave "
     "at least one output out"),
    ({"operators": ["change_units", "add_layer"], "policy__name": "weights",
      "policy__weights": {"change_units": 0.0, "add_layer": 0.0}},
     "policy.weights gives every mutation operator of this run weight 0 (change_units, "
     "add_layer), so none could be drawn; give at least one a weight > 0 (an operator not named "
     "has weight 1)"),
], ids=["safe_outputs naming every output", "weights of zero for every operator"])
def test_a_search_that_could_breed_nothing_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], overrides: dict[str, Any],
        expected: str) -> None:
    config = write_config(tmp_path / "c.toml", **overrides)
    out = tmp_path / "run"
    line = one_error_line(["search", config, "--out", out, "--max-evals", 2], capsys)
    assert line == f"nas-ops: error: {expected}"
    assert_nothing_written(out)


def test_one_weight_above_zero_is_a_real_search(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", operators=["change_units", "add_layer"],
                          policy__name="weights", policy__weights={"add_layer": 0.0})
    assert main(["search", str(config), "--out", str(tmp_path / "run"), "--max-evals", "2",
                 "--quiet"]) == 0


def test_a_study_whose_bases_are_all_at_chance_says_so(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.toml", study__base_models=2,
                          study__children_at_chance=False)  # tiny bases are at chance
    assert main(["study", str(config), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "2 evaluations (2 trained now, 0 failed)" in printed
    assert ("  note: no children were bred: all 2 trained base models are at chance level, and "
            "a study varies such bases only with [study] children_at_chance = true") in printed


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bounds")
    assert main(["search", str(write_config(root / "c.toml")), "--out", str(root / "run"),
                 "--max-evals", "2", "--quiet"]) == 0
    return root / "run"


@pytest.mark.parametrize("command", ["search", "resume"])
def test_max_evals_has_one_bound_in_search_and_resume(command: str, small_run: Path,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.toml")
    target = [config, "--out", tmp_path / "new"] if command == "search" else [small_run]
    huge = one_error_line([command, *target, "--max-evals", 10 ** 12], capsys)
    assert huge.endswith(f"--max-evals must be at most {MAX_EVALS}, got {10 ** 12}")
    cap = one_error_line([command, *target, "--max-evals", 13], capsys)  # 4 + 4 x 2 = 12
    assert ("--max-evals 13 is more than search.generations = 2 allows (population + offspring "
            "x generations = 12)") in cap
    assert_nothing_written(tmp_path / "new")


@pytest.mark.parametrize(("command", "over", "named"), [
    ("search", {"epochs": MAX_EPOCHS + 1}, f"budget.epochs must be in [1, {MAX_EPOCHS:g}]"),
    ("study", {"epochs": MAX_EPOCHS + 1, "study__base_models": 1},
     f"budget.epochs must be in [1, {MAX_EPOCHS:g}]"),
    ("study", {"study__base_models": MAX_BASE_MODELS + 1},
     f"study.base_models must be in [1, {MAX_BASE_MODELS:g}]"),
    ("search", {"budget__max_evals": MAX_EVALS + 1},
     f"budget.max_evals must be in [0, {MAX_EVALS:g}]"),
    ("search", {"budget__max_evals": 13}, "budget.max_evals = 13 is more than "
     "search.generations = 2 allows"),
])
def test_config_bounds_are_one_line(command: str, over: dict, named: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.toml", **over)
    out = tmp_path / "run"
    assert named in one_error_line([command, config, "--out", out], capsys)
    assert_nothing_written(out)


def test_resume_refuses_a_recorded_config_out_of_bounds(small_run: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A ledger whose config holds epochs = 1e9 (edited by hand) is refused like the TOML."""
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    with Ledger(run, "w") as ledger:
        config = ledger.meta("config")
        config["budget"]["epochs"] = 10 ** 9
        ledger.set_meta("config", config)
    line = one_error_line(["resume", run], capsys)
    assert f"budget.epochs must be in [1, {MAX_EPOCHS:g}], got {10 ** 9}" in line
