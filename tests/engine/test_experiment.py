"""``nas-ops experiment FILE --out DIR``: the plan is checked before anything runs (one line,
exit 2), arms x seeds expand into run configs, and a killed experiment resumes run by run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nas_ops.cli import main
from nas_ops.config import config_from_dict
from nas_ops.errors import ConfigError
from nas_ops.experiments.plan import load_plan, plan_from_dict
from nas_ops.store import run_contents
from tests.configs import tiny_dict, toml_text
from tests.killing import cli, kill_after

ROOT = Path(__file__).resolve().parents[2]


def _base() -> dict:
    data = tiny_dict(generations=1)
    data.pop("seed")
    return data


def _plan(**over: object) -> dict:
    data = {"experiment": {"first_seed": 100, "n_seeds": 2}, "base": _base(),
            "arms": {"uniform": {"policy": {"name": "uniform"}},
                     "adaptive": {"policy": {"name": "adaptive", "exploration": 1.0}}}}
    data.update(over)
    return data


def _toml(data: dict) -> str:
    lines = ["[experiment]"] + [f"{k} = {json.dumps(v)}" for k, v in data["experiment"].items()]
    base = toml_text({**data["base"]}).replace("\n[", "\n[base.")
    lines.append(("[base." + base.lstrip("[")) if base.startswith("[") else base)
    lines.append("[arms]")
    for name, arm in data["arms"].items():
        cells = ", ".join(f"{s} = {{{', '.join(f'{k} = {json.dumps(v)}' for k, v in t.items())}}}"
                          if isinstance(t, dict) else f"{s} = {json.dumps(t)}"
                          for s, t in arm.items())
        lines.append(f"{name} = {{{cells}}}")
    return "\n".join(lines) + "\n"


def test_arms_times_seeds_expand_into_validated_run_configs() -> None:
    plan = plan_from_dict(_plan())
    assert plan.seeds == (100, 101)
    assert [(a.name, s) for a, s in plan.runs()] == [("uniform", 100), ("adaptive", 100),
                                                      ("uniform", 101), ("adaptive", 101)]
    adaptive = plan.arms[1].run_config(101)
    want = config_from_dict({**tiny_dict(generations=1, seed=101),
                             "policy": {"name": "adaptive", "exploration": 1.0}})
    assert adaptive == want
    assert plan.groups() == {"main": list(plan.arms)}
    listed = plan_from_dict(_plan(experiment={"seeds": [7, 3]}))
    assert listed.seeds == (7, 3)


@pytest.mark.parametrize("change, message", [
    ({"experiment": {"n_seeds": 0}}, "experiment.n_seeds must be in [1, 10000], got 0"),
    ({"experiment": {"seeds": [1, 1]}}, "experiment.seeds repeats 1"),
    ({"experiment": {"seeds": [1], "n_seeds": 2}}, "either seeds = [...] or first_seed"),
    ({"experiment": {"first_seed": 3}}, "give seeds = [...] or first_seed and n_seeds"),
    ({"experiment": {"n_seeds": 2, "runs": 3}}, "unknown key experiment.runs"),
    ({"arms": {"uniform": {"policy": {"name": "uniform"}}}}, "at least two arms"),
    ({"arms": {"uniform": {"policy": {"name": "uniform"}},
               "bad": {"policy": {"name": "sideways"}}}},
     "arms.bad: policy.name = 'sideways' is not valid; choose one of: uniform"),
    ({"arms": {"uniform": {}, "../up": {}}}, "arm name '../up' is not valid"),
    ({"arms": {"uniform": {}, "other": {"seed": 3}}}, "seed is set by [experiment]"),
    ({"arms": {"uniform": {}, "other": {"policy": "uniform"}}},
     "arms.other.policy must be a table"),
    ({"arms": {"uniform": {}, "adaptive": {"policy": {"name": "adaptive"}},
               "digits": {"group": "digits", "task": {"name": "digits"}}}},
     "group 'digits' has only arm 'digits'"),
    ({"runs": {}}, "unknown table [runs]"),
    ({"experiment": {"n_seeds": 2, "speedup_share": 1.5}},
     "experiment.speedup_share must be a number in"),
])
def test_bad_plans_are_one_line(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        plan_from_dict(_plan(**change))


def test_cli_refuses_a_bad_file_and_a_foreign_out(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(_toml(_plan(arms={"uniform": {"policy": {"name": "uniform"}},
                                     "x": {"policy": {"name": "nope"}}})))
    assert main(["experiment", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "arms.x: policy.name = 'nope' is not valid" in err
    assert not (tmp_path / "out").exists()
    good = tmp_path / "good.toml"
    good.write_text(_toml(_plan()))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep")
    assert main(["experiment", str(good), "--out", str(foreign)]) == 2
    assert "holds no experiment" in capsys.readouterr().err
    assert main(["experiment", str(good), "--out", str(tmp_path / "e"), "--dry-run"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[0] == (f"main uniform seed 100: new "
                                       f"({tmp_path / 'e' / 'runs' / 'uniform' / 'seed-100'})")
    assert "4 runs: 2 arms x 2 seeds; groups main (2 arms)" in out.err
    assert load_plan(good).seeds == (100, 101)


def test_speedup_share_makes_the_comparisons_speed_ups_symmetric(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_text(_toml(_plan(experiment={"first_seed": 100, "n_seeds": 2,
                                            "speedup_share": 0.9})))
    assert load_plan(path).speedup_share == 0.9
    assert main(["experiment", str(path), "--out", str(tmp_path / "e")]) == 0
    data = json.loads((tmp_path / "e" / "compare" / "main" / "compare.json").read_text())
    (sp,) = data["speedups"]
    finals = data["measures"]["final"]
    assert sp["targets"] == [pytest.approx(0.9 * min(finals["uniform"][str(s)],
                                                     finals["adaptive"][str(s)]))
                             for s in sp["seeds"]]
    assert json.loads((tmp_path / "e" / "plan.json").read_text())["speedup_share"] == 0.9


@pytest.mark.slow
def test_killed_experiment_resumes_run_by_run(tmp_path: Path) -> None:
    """Kill -9 the experiment during its second run; running it again skips the first,
    resumes the second, runs the rest, and every run equals the uninterrupted one's."""
    plan = _plan(experiment={"first_seed": 100, "n_seeds": 2})
    plan["base"]["search"]["generations"] = 5
    plan["base"]["budget"]["total_steps"] = 40
    path = tmp_path / "exp.toml"
    path.write_text(_toml(plan))
    clean = tmp_path / "clean"
    assert main(["experiment", str(path), "--out", str(clean)]) == 0
    killed = tmp_path / "killed"
    kill_after(cli("experiment", str(path), "--out", str(killed)),
               killed / "runs" / "adaptive" / "seed-100", 3)
    again = subprocess.run(cli("experiment", str(path), "--out", str(killed)),
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert lines[0] == "[1/4] uniform seed 100: finished before, skipped"
    assert lines[1].startswith("[2/4] adaptive seed 100: resumed ")
    assert lines[2].startswith("[3/4] uniform seed 101: ran ")
    for arm in ("uniform", "adaptive"):
        for seed in (100, 101):
            run = Path("runs") / arm / f"seed-{seed}"
            assert run_contents(killed / run) == run_contents(clean / run)
    a = json.loads((clean / "compare" / "main" / "compare.json").read_text())
    b = json.loads((killed / "compare" / "main" / "compare.json").read_text())
    for data in (a, b):
        for r in data["runs"]:
            r.pop("run_dir")
    assert a == b
    assert "compare main: " in lines[-2] and b["verdict"] == lines[-1].strip()


def test_an_arm_changed_since_its_runs_is_refused(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "exp.toml"
    path.write_text(_toml(_plan()))
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text(json.dumps(
        {"seeds": [100], "arms": {"uniform": {"group": "main", "config": {"task": {}}}}}))
    assert main(["experiment", str(path), "--out", str(out)]) == 2
    assert "arm 'uniform' differs from the one this experiment directory ran" in \
        capsys.readouterr().err
