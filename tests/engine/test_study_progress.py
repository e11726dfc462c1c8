"""The study's progress total is the number of evaluations it runs: variations that do not apply
make no child, so they are not counted (the review saw 244 announced and 223 done)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import nas_ops
from nas_ops.engine.study import Study
from tests.configs import tiny_config


@pytest.mark.parametrize("matched", [False, True])
def test_study_progress_total_is_what_the_study_evaluates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], matched: bool) -> None:
    # with seed 1, bypass_network does not apply to base model b000: 2 x (1 + 2 + 1) = 8 slots,
    # 7 evaluations; a matched control per edit child adds 3
    config = tiny_config(study__base_models=2, study__variations=1, study__controls=1,
                         study__operators=["change_units", "bypass_network"],
                         study__matched_controls=matched)
    expected = 10 if matched else 7
    study = Study(config, tmp_path / "run", progress=True)
    study.search.progress.log_every_s = 0  # every line, also the first
    summary = study.run()
    totals = {int(t) for t in re.findall(r"evals \d+/(\d+)", capsys.readouterr().err)}
    run = nas_ops.load_run(tmp_path / "run")
    made = {v.slot for v in run.variations if v.status == "ok"}
    not_made = {(v.slot, v.operator) for v in run.variations if v.slot not in made}
    assert len(not_made) == 1 and next(iter(not_made))[1] == "bypass_network"
    assert summary.evaluations == len(run.evaluated()) == expected
    assert totals == {expected}


def test_study_children_count_as_they_arrive_with_an_eta(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The children are one batch; the review saw the counter stay at the number of bases, with
    no ETA, until the batch ended. The first line comes before any evaluation ends."""
    config = tiny_config(study__base_models=2, study__variations=2,
                         study__operators=["change_units"])
    study = Study(config, tmp_path / "run", progress=True)
    study.search.progress.log_every_s = 0
    summary = study.run()
    lines = [line for line in capsys.readouterr().err.splitlines() if "evals " in line]
    counts = [int(c) for c in re.findall(r"evals (\d+)/", "\n".join(lines))]
    total = summary.evaluations
    assert lines[0] == f"gen 0 | evals 0/{total} | 2 running | failures 0 | ETA --"
    assert counts == list(range(total + 1)), counts  # every child counted when it arrived
    children = [line for line in lines if line.startswith("gen 1 ")]
    assert any(re.search(r"ETA \d+s$", line) for line in children[:-1]), children
