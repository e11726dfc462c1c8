"""``nas-ops compare``: hypervolume curves grouped by policy, paired tests across seeds at equal
training steps; on hand-made curves, and on tiny real searches (2 policies x 2 seeds)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from nas_ops.analysis.compare import RunCurve, compare_curves, compare_runs, run_curve
from nas_ops.analysis.power import detectable_effect
from nas_ops.cli import main
from nas_ops.config import config_from_dict
from nas_ops.engine import run_search
from nas_ops.errors import ConfigError
from nas_ops.store import run_contents
from tests.configs import tiny_dict


def _curve(policy: str, seed: int, values: list[float], step: int = 10) -> RunCurve:
    return RunCurve(f"{policy}-{seed}", policy, seed,
                    [step * (k + 1) for k in range(len(values))], values, {"add_layer": 1})


def test_curves_are_read_at_equal_training_steps() -> None:
    r = _curve("a", 0, [0.1, 0.1, 0.3])  # steps 10, 20, 30
    assert (r.at(0), r.at(9), r.at(10), r.at(25), r.at(99)) == (0.0, 0.0, 0.1, 0.1, 0.3)
    assert r.area(30) == pytest.approx((0 * 10 + 0.1 * 20) / 30)
    assert r.area(40) == pytest.approx((0.1 * 20 + 0.3 * 10) / 40)


def test_paired_tests_effects_and_verdict() -> None:
    runs = [_curve("uniform", s, [0.1, 0.2 + 0.01 * s]) for s in range(6)]
    runs += [_curve("weights", s, [0.2, 0.3 + 0.01 * s, 0.9]) for s in range(6)]
    cmp = compare_curves(runs, n_bootstrap=500)
    assert cmp.budget == 20  # the fewest steps any run spent: weights' third point is past it
    final = next(t for t in cmp.tests if t.measure == "final")
    assert (final.a, final.b, final.seeds) == ("uniform", "weights", list(range(6)))
    assert final.mean_difference == pytest.approx(0.1)
    assert final.ci_low == pytest.approx(0.1) and final.ci_high == pytest.approx(0.1)
    assert final.p_value == pytest.approx(2 / 2 ** 6)  # every one of 6 pairs favours weights
    assert final.p_holm == final.p_value  # one pair of policies
    auc = next(t for t in cmp.tests if t.measure == "auc")
    assert auc.mean_difference == pytest.approx(0.1 * 10 / 20)
    assert "weights ends with a hypervolume" in cmp.verdict and "higher than uniform" in cmp.verdict
    assert "a significant difference" in cmp.verdict
    assert cmp.bands["weights"]["median"][-1] == pytest.approx(0.325)
    assert cmp.usage["uniform"] == {"add_layer": 1.0}


def test_few_seeds_say_the_test_cannot_reach_significance() -> None:
    runs = [_curve("uniform", s, [0.1]) for s in range(2)]
    runs += [_curve("weights", s, [0.1 + 0.01 * (s + 1)]) for s in range(2)]
    cmp = compare_curves(runs, n_bootstrap=100)
    assert "not a significant difference" in cmp.verdict
    assert "an exact Wilcoxon test cannot reach p = 0.05" in cmp.verdict
    assert "no difference is detectable" in cmp.verdict


def test_verdict_states_effect_interval_holm_p_and_detectable_difference() -> None:
    """Three policies on 8 seeds, with paired differences whose spread is known: the verdict
    carries the effect, its interval, the Holm p and the 80 % power difference at 0.05 / 3."""
    diffs = [0.010, 0.030, 0.020, 0.040, 0.000, 0.050, 0.020, 0.030]
    runs = [_curve("uniform", s, [0.5 + 0.1 * s]) for s in range(8)]
    runs += [_curve("guided", s, [0.5 + 0.1 * s + d]) for s, d in enumerate(diffs)]
    runs += [_curve("adaptive", s, [0.5 + 0.1 * s + (-1) ** s * 1e-3]) for s in range(8)]
    cmp = compare_curves(runs, n_bootstrap=400)
    t = next(t for t in cmp.tests if t.measure == "final" and {t.a, t.b} ==
             {"guided", "uniform"})
    assert (t.a, t.b) == ("guided", "uniform")  # sorted names: the difference is uniform - guided
    sd = float(np.std(diffs, ddof=1))
    assert t.sd_difference == pytest.approx(sd)
    assert t.level == pytest.approx(0.05 / 3)
    assert t.detectable == pytest.approx(detectable_effect(8, 0.05 / 3) * sd)
    assert t.mean_a == pytest.approx(np.mean([0.5 + 0.1 * s + d for s, d in enumerate(diffs)]))
    p = stats.wilcoxon([-d for d in diffs if d], method="exact").pvalue
    assert t.p_value == pytest.approx(p)
    assert t.p_holm >= t.p_value
    sentence = next(s for s in cmp.verdict.split("At ")[1:]
                    if "uniform ends" in s and "than guided" in s)
    assert f"mean paired difference {t.mean_difference:.3g}" in sentence
    assert f"[{t.ci_low:.3g}, {t.ci_high:.3g}]" in sentence
    assert f"Holm p = {t.p_holm:.3g}" in sentence
    assert f"detect a difference of {t.detectable:.3g}" in sentence
    assert f"at p = {0.05 / 3:.3g} (Holm's strictest level)" in sentence
    assert "8 seeds" in sentence and "lower than guided" in sentence


def test_one_policy_or_a_repeated_seed_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least two policies"):
        compare_curves([_curve("uniform", 0, [0.1]), _curve("uniform", 1, [0.2])])
    with pytest.raises(ConfigError, match="more than one run of seed 0"):
        compare_curves([_curve("uniform", 0, [0.1]), _curve("uniform", 0, [0.2]),
                        _curve("weights", 0, [0.2])])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("compare")
    made = []
    for policy in ("uniform", "weights"):
        for seed in (1, 2):
            data = tiny_dict(seed=seed, population=4, offspring=2, generations=1,
                             policy__name=policy)
            if policy == "weights":
                data["policy"]["weights"] = {"add_layer": 5.0, "widen_layer": 5.0}
            run_search(config_from_dict(data), root / f"{policy}-{seed}", progress=False)
            made.append(root / f"{policy}-{seed}")
    return made


def test_compare_real_runs(runs: list[Path], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, runs), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == str(out / "index.html")
    data = json.loads((out / "compare.json").read_text())
    assert data["policies"] == ["uniform", "weights"]
    assert data["budget"] == min(r["steps"][-1] for r in data["runs"])
    assert all(len(r["steps"]) == 6 for r in data["runs"])
    assert {t["measure"] for t in data["tests"]} == {"final", "auc"}
    assert all(t["seeds"] == [1, 2] for t in data["tests"])
    assert all(math.isfinite(t["p_value"]) for t in data["tests"])
    md = (out / "report.md").read_text()
    assert data["verdict"] in md and data["verdict"] in printed
    html = (out / "index.html").read_text()
    assert html.count("<img ") == 2 and "data:image/png;base64," in html
    for name in ("curves", "finals"):
        assert (out / "figures" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    assert "Operator usage per policy" in md
    assert all(sum(u.values()) == pytest.approx(1.0) for u in data["usage"].values())
    assert main(["compare", *map(str, runs), "--out", str(out)]) == 0  # replaces its own


def test_a_seed_gives_every_policy_the_same_initial_population(runs: list[Path]) -> None:
    """Pairing by seed is sound: the initial population (genomes and their evaluations) is
    drawn from the seed alone, so runs of two policies start from the same models."""
    for seed in (1, 2):
        a, b = (run_contents(r) for r in runs if r.name.endswith(f"-{seed}"))
        start_a = {u: i for u, i in a["individuals"].items() if u.startswith("g000")}
        start_b = {u: i for u, i in b["individuals"].items() if u.startswith("g000")}
        assert len(start_a) == 4 and start_a == start_b
        assert a["individuals"] != b["individuals"]  # the policies did differ afterwards
    curves = [run_curve(r) for r in runs]
    assert len({c.initial for c in curves if c.seed == 1}) == 1
    assert {c.initial for c in curves if c.seed == 1} != {c.initial for c in curves if c.seed == 2}
    assert {c.stopped_by for c in curves} == {"max_evals"}


def test_runs_of_another_task_or_start_are_refused(runs: list[Path], tmp_path: Path) -> None:
    curves = [run_curve(r) for r in runs]
    moved = dataclasses.replace(curves[3], initial="0" * 12)
    with pytest.raises(ConfigError, match=f"seed {moved.seed}: .* start from different initial "
                                          "populations"):
        compare_curves([*curves[:3], moved])
    other = dataclasses.replace(curves[3], task='{"name": "digits"}')
    with pytest.raises(ConfigError, match="runs of different tasks cannot be compared"):
        compare_curves([*curves[:3], other])
    assert json.loads(curves[0].reference)["point"] == [1.0, 0.05, 0.05, 6.0]
    moved_ref = dataclasses.replace(curves[3], reference='{"point": [1, 1, 1, 1]}')
    with pytest.raises(ConfigError, match="different hypervolume reference points"):
        compare_curves([*curves[:3], moved_ref])


def test_labels_group_runs_of_one_policy(runs: list[Path]) -> None:
    uniform = [r for r in runs if r.name.startswith("uniform")]
    cmp = compare_runs(uniform * 2, labels=["u1", "u1", "u2", "u2"], n_bootstrap=100)
    assert cmp.policies == ["u1", "u2"]
    assert all(t.mean_difference == 0 for t in cmp.tests)
    with pytest.raises(ConfigError, match="3 labels for 4 runs"):
        compare_runs(uniform * 2, labels=["a", "b", "c"])


def test_compare_checks_out_first(runs: list[Path], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert main(["compare", *map(str, runs), "--out", str(other)]) == 2
    assert "holds no nas-ops comparison" in capsys.readouterr().err
    assert (other / "keep.txt").read_text() == "mine"
    assert main(["compare", str(runs[0]), str(runs[1]), "--out", str(tmp_path / "x")]) == 2
    assert "at least two policies" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_reference_gives_the_speedups_of_real_runs(runs: list[Path], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, runs), "--out", str(out), "--reference", "uniform"]) == 0
    data = json.loads((out / "compare.json").read_text())
    (s,) = data["speedups"]
    finals = {r["seed"]: r["values"][-1] for r in data["runs"] if r["policy"] == "uniform"}
    assert (s["arm"], s["reference"]) == ("weights", "uniform")
    assert s["seeds"] == [seed for seed in (1, 2) if finals[seed] > 0]  # a 0 target is left out
    for seed, target, steps in zip(s["seeds"], s["targets"], s["arm_steps"], strict=True):
        run = next(r for r in data["runs"] if r["policy"] == "weights" and r["seed"] == seed)
        ref = next(r for r in data["runs"] if r["policy"] == "uniform" and r["seed"] == seed)
        assert target == ref["values"][-1]
        reached = [st for st, v in zip(run["steps"], run["values"], strict=True) if v >= target]
        assert steps == (reached[0] if reached else math.inf)
    assert "To reach uniform's final hypervolume" in capsys.readouterr().out
    assert main(["compare", *map(str, runs), "--out", str(tmp_path / "y"),
                 "--reference", "full"]) == 2
    assert "reference 'full' is not one of the compared policies" in capsys.readouterr().err
