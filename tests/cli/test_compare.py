"""``nas-ops compare``: hypervolume curves grouped by policy, paired tests across seeds at equal
training steps; on hand-made curves, and on tiny real searches (2 policies x 2 seeds)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from nas_ops.analysis.compare import RunCurve, compare_curves
from nas_ops.cli import main
from nas_ops.config import config_from_dict
from nas_ops.engine import run_search
from nas_ops.errors import ConfigError
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
    assert "cannot reach 0.05" in cmp.verdict


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
