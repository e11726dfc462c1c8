"""``compare`` judges only what can be compared (issue 25, point 6): an unfinished run, a run whose
every evaluation failed, or runs on different budgets are refused in one line naming the run
(the review compared them silently); ``--allow-unfinished`` lets an unfinished run in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nas_ops
from nas_ops.cli import main
from nas_ops.config import config_from_dict
from nas_ops.errors import AllFailedError
from nas_ops.evaluation import run_request
from tests.cli.test_bad_inputs import one_error_line
from tests.configs import tiny_dict


def _config(policy: str, **budget: object) -> nas_ops.RunConfig:
    data = tiny_dict(generations=1, policy__name=policy)
    data["budget"].update(budget)
    return config_from_dict(data)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cmp")
    made = {"uniform": root / "uniform", "adaptive": root / "adaptive",
            "budget": root / "budget", "failed": root / "failed", "unfinished": root / "unf"}
    nas_ops.run_search(_config("uniform"), made["uniform"], progress=False)
    nas_ops.run_search(_config("adaptive"), made["adaptive"], progress=False)
    nas_ops.run_search(_config("adaptive", time_limit_s=1000.0), made["budget"], progress=False)
    with pytest.raises(AllFailedError):
        nas_ops.run_search(_config("adaptive", time_limit_s=1e-9), made["failed"],
                           progress=False)
    search = nas_ops.create_search(_config("adaptive"), made["unfinished"])
    for cand in search.ask():  # the initial population, then stopped mid-way (not killed)
        search.tell(cand.uid, run_request(cand.request))
    assert search.ask()  # the children asked, never told
    search.close()
    return made


def test_an_unfinished_run_is_refused_unless_allowed(runs: dict[str, Path], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    unf = runs["unfinished"]
    argv = ["compare", runs["uniform"], unf, "--out", tmp_path / "c"]
    line = one_error_line(argv, capsys)
    assert line == (f"nas-ops: error: run {unf} is unfinished (4 evaluations recorded); finish "
                    f"it with `nas-ops resume {unf}`, or pass --allow-unfinished to compare it "
                    "at the steps it spent")
    assert not (tmp_path / "c").exists()
    assert main([str(a) for a in argv] + ["--allow-unfinished"]) == 0
    budget = json.loads((tmp_path / "c" / "compare.json").read_text())["budget"]
    assert budget == nas_ops.load_run(unf).hypervolume[-1].steps_done  # the steps it spent


def test_a_run_whose_evaluations_all_failed_is_refused(runs: dict[str, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    for extra in ([], ["--allow-unfinished"]):
        line = one_error_line(["compare", runs["failed"], runs["uniform"], "--out",
                               tmp_path / "c", *extra], capsys)
        assert line == (f"nas-ops: error: run {runs['failed']}: all 8 evaluations failed, so "
                        "it has no hypervolume to compare; leave it out or run it again")


def test_runs_on_different_budgets_are_refused(runs: dict[str, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    line = one_error_line(["compare", runs["uniform"], runs["budget"], "--out", tmp_path / "c"],
                          capsys)
    assert line.startswith(f"nas-ops: error: runs on different budgets cannot be compared: run "
                           f"{runs['budget']} has [budget] ")
    assert '"time_limit_s": 1000.0' in line and str(runs["uniform"]) in line


def test_finished_runs_on_one_budget_are_compared(runs: dict[str, Path], tmp_path: Path) -> None:
    assert main(["compare", str(runs["uniform"]), str(runs["adaptive"]), "--out",
                 str(tmp_path / "c")]) == 0
