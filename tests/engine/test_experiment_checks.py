"""``experiment`` validates every arm, every guidelines file and every group before it makes any
run, and names the arm at fault (issue 25, point 6); the review's cases were refused only after
runs were made, with the directory half-written and no arm named."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nas_ops.errors import ConfigError
from nas_ops.experiments.plan import plan_from_dict
from tests.cli.test_bad_inputs import one_error_line
from tests.configs import tiny_dict, toml_text


def _plan(arms: dict, base: dict | None = None) -> dict:
    data = base or tiny_dict(generations=1)
    data.pop("seed", None)
    return {"experiment": {"seeds": [1]}, "base": data, "arms": arms}


def _write(path: Path, plan: dict) -> Path:
    lines = ["[experiment]", f"seeds = {json.dumps(plan['experiment']['seeds'])}"]
    base = toml_text(plan["base"]).replace("\n[", "\n[base.")
    lines.append("[base." + base.lstrip("[") if base.startswith("[") else base)
    lines.append("[arms]")
    for name, arm in plan["arms"].items():
        cells = ", ".join(f"{k} = {json.dumps(v)}" if isinstance(v, str) else
                          f"{k} = {{{', '.join(f'{a} = {json.dumps(b)}' for a, b in v.items())}}}"
                          for k, v in arm.items())
        lines.append(f"{name} = {{{cells}}}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_guided_arm_without_its_guidelines_file_is_refused_before_any_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere" / "guidelines.json"
    path = _write(tmp_path / "e.toml", _plan({
        "uniform": {"policy": {"name": "uniform"}},
        "guided": {"policy": {"name": "guided", "guidelines": str(missing)},
                   "evaluation": {"diagnose": True}}}))
    out = tmp_path / "out"
    line = one_error_line(["experiment", path, "--out", out], capsys)
    assert line.startswith(f"nas-ops: error: arms.guided: policy.guidelines: {str(missing)!r} "
                           "does not exist")
    assert not out.exists()  # no run made, no plan.json written
    line = one_error_line(["experiment", path, "--out", out, "--dry-run"], capsys)
    assert line.startswith("nas-ops: error: arms.guided: ")


def test_an_arm_on_another_task_in_the_same_group_is_refused_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "e.toml", _plan({
        "uniform": {"policy": {"name": "uniform"}},
        "digits": {"task": {"name": "digits"}, "policy": {"name": "uniform"}}}))
    out = tmp_path / "out"
    line = one_error_line(["experiment", path, "--out", out], capsys)
    assert line.endswith("arms.digits: task.name = \"digits\" differs from arm 'uniform' "
                         "(\"mnist1d\") in group 'main', so their runs cannot be compared; give "
                         "the arm another group (group = \"...\") or the same value")
    assert not out.exists()


@pytest.mark.parametrize(("arm", "named"), [
    ({"budget": {"epochs": 2}}, "budget.epochs = 2 differs from arm 'a' (1)"),
    ({"search": {"population": 6}}, "search.population = 6 differs from arm 'a' (4)"),
    ({"search": {"hv_reference": {"class": 0.5}}},
     'search.hv_reference = {"class": 0.5} differs from arm \'a\' ({})'),
])
def test_arms_of_one_group_share_what_compare_pairs_on(arm: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"arms.b: {named} in group 'main'")):
        plan_from_dict(_plan({"a": {}, "b": arm}))
    assert plan_from_dict(_plan({"a": {}, "a2": {}, "b": {**arm, "group": "other"},
                                 "c": {**arm, "group": "other"}}))  # its own group: fine


def test_a_base_on_an_unknown_task_leaves_nothing_behind(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tiny_dict(generations=1)
    base["task"] = {"name": "no_such_task"}
    path = _write(tmp_path / "e.toml", _plan({"a": {"policy": {"name": "uniform"}},
                                              "b": {"policy": {"name": "adaptive"}}}, base))
    out = tmp_path / "out"
    line = one_error_line(["experiment", path, "--out", out], capsys)
    assert line.startswith("nas-ops: error: ") and "no_such_task" in line
    assert not out.exists()


def test_an_arm_whose_evaluations_all_fail_is_named(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    base = tiny_dict(generations=1)
    base["budget"]["time_limit_s"] = 1e-9
    path = _write(tmp_path / "e.toml", _plan({"first": {"policy": {"name": "uniform"}},
                                              "second": {"policy": {"name": "adaptive"}}},
                                             base))
    out = tmp_path / "out"
    line = one_error_line(["experiment", path, "--out", out], capsys)
    run = out / "runs" / "first" / "seed-1"
    assert line.startswith(f"nas-ops: error: arm 'first' seed 1 ({run}): all 8 evaluations "
                           "failed; most common reason (8 of 8): ")
    assert not (out / "runs" / "second").exists() and not (out / "compare").exists()
