"""Steps to reach the reference arm's final hypervolume (nas_ops.analysis.speedup): hand-built
step curves whose steps, speed-ups and summaries are known, and the verdict and report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nas_ops.analysis.compare import RunCurve, compare_curves, compare_runs
from nas_ops.analysis.speedup import speedup, steps_to
from nas_ops.errors import ConfigError
from nas_ops.report.compare import render_comparison


def _run(policy: str, seed: int, steps: list[int], values: list[float]) -> RunCurve:
    return RunCurve(f"{policy}-{seed}", policy, seed, steps, values)


def test_steps_to_is_the_first_evaluation_at_or_above_the_target() -> None:
    steps, values = [100, 200, 300, 400], [0.1, 0.5, 0.5, 0.7]
    assert steps_to(steps, values, 0.5) == 200
    assert steps_to(steps, values, 0.7) == 400
    assert steps_to(steps, values, 0.05) == 100
    assert steps_to(steps, values, 0.71) == math.inf


def _curves() -> list[RunCurve]:
    """Seed s: full reaches its final 0.6 at 1000 steps (and stays there to 1200); rungs reaches
    0.6 at 250 / 500 / 200 steps (speed-ups 4, 2, 5); prefilter never does on seed 2."""
    runs = []
    for s in range(3):
        runs.append(_run("full", s, [400, 1000, 1200], [0.3, 0.6, 0.6]))
    for s, at in enumerate([250, 500, 200]):
        runs.append(_run("rungs", s, [at // 2, at, 1300], [0.2, 0.6 + 0.01 * s, 0.65]))
    runs.append(_run("prefilter", 0, [500, 1300], [0.6, 0.6]))
    runs.append(_run("prefilter", 1, [1000, 1300], [0.5, 0.9]))
    runs.append(_run("prefilter", 2, [600, 1300], [0.4, 0.59]))
    return runs


def test_speedups_per_seed_and_their_summary() -> None:
    cmp = compare_curves(_curves(), n_bootstrap=300, reference="full")
    assert cmp.reference_arm == "full"
    by_arm = {s.arm: s for s in cmp.speedups}
    assert set(by_arm) == {"rungs", "prefilter"}
    r = by_arm["rungs"]
    assert (r.seeds, r.targets) == ([0, 1, 2], [0.6, 0.6, 0.6])
    assert r.reference_steps == [1000, 1000, 1000]  # its last improvement, not its end (1200)
    assert r.arm_steps == [250, 500, 200]
    assert r.ratios == [4.0, 2.0, 5.0]
    assert (r.median, r.low, r.high, r.reached) == (4.0, 2.0, 5.0, 3)
    assert (r.q1, r.q3) == (3.0, 4.5)
    assert 2.0 <= r.ci_low <= r.median <= r.ci_high <= 5.0
    p = by_arm["prefilter"]
    assert p.arm_steps == [500, 1300, math.inf]
    assert p.ratios == pytest.approx([2.0, 1000 / 1300, 0.0])
    assert p.reached == 2 and p.median == pytest.approx(1000 / 1300)
    assert "prefilter had a median speed-up of 0.769" in cmp.verdict
    assert "rungs had a median speed-up of 4 (full's steps / rungs's steps over 3 seeds" \
        in cmp.verdict and "range [2, 5]; reached in 3 of 3)" in cmp.verdict


def test_the_bootstrap_interval_is_that_of_the_median_over_seeds() -> None:
    runs = [_run("full", s, [1000], [0.5]) for s in range(6)]
    runs += [_run("fast", s, [100 * (s + 1)], [0.5]) for s in range(6)]  # ratios 10, 5, ...
    rng = np.random.default_rng(7)
    s = speedup("fast", "full", runs, rng, 1000)
    ratios = np.array([1000 / (100 * (k + 1)) for k in range(6)])
    assert s.ratios == pytest.approx(ratios.tolist())
    again = np.random.default_rng(7)
    boot = np.median(ratios[again.integers(0, 6, size=(1000, 6))], axis=1)
    assert (s.ci_low, s.ci_high) == pytest.approx(tuple(np.percentile(boot, [2.5, 97.5])))
    assert s.median == pytest.approx(np.median(ratios))


def test_a_seed_with_a_zero_target_is_left_out_and_a_bad_reference_refused() -> None:
    runs = [_run("full", 0, [10], [0.0]), _run("full", 1, [10], [0.4]),
            _run("b", 0, [10], [0.1]), _run("b", 1, [5, 10], [0.4, 0.4])]
    cmp = compare_curves(runs, n_bootstrap=50, reference="full")
    assert cmp.speedups[0].seeds == [1] and cmp.speedups[0].ratios == [2.0]
    with pytest.raises(Exception, match="reference 'nope' is not one of the compared "
                                        "policies: b, full"):
        compare_curves(runs, reference="nope")


def test_the_tests_are_the_same_with_or_without_a_reference() -> None:
    a = compare_curves(_curves(), n_bootstrap=200)
    b = compare_curves(_curves(), n_bootstrap=200, reference="full")
    assert a.tests == b.tests and a.speedups == [] and a.reference_arm is None
    assert b.verdict.endswith(a.verdict) and b.verdict != a.verdict


def test_the_report_and_json_carry_the_speedups(tmp_path: Path) -> None:
    cmp = compare_curves(_curves(), n_bootstrap=100, reference="full")
    render_comparison(cmp, tmp_path)
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["reference_arm"] == "full"
    rungs = next(s for s in data["speedups"] if s["arm"] == "rungs")
    assert rungs["ratios"] == [4.0, 2.0, 5.0] and rungs["reached"] == 3
    md = (tmp_path / "report.md").read_text()
    assert "Training steps to reach full's final hypervolume" in md
    assert "not reached" in md  # prefilter, seed 2


def test_a_symmetric_target_is_a_share_of_the_smaller_final(tmp_path: Path) -> None:
    """Target 0.9 x min(full's final, the arm's final): prefilter's seed 2 ends at 0.59 below
    full's 0.6, so its target is 0.531, which both reach (full at 1000, prefilter at 1300)."""
    cmp = compare_curves(_curves(), n_bootstrap=300, reference="full", speedup_share=0.9)
    p = next(s for s in cmp.speedups if s.arm == "prefilter")
    assert p.share == 0.9 and p.targets == pytest.approx([0.54, 0.54, 0.531])
    assert p.reference_steps == [1000, 1000, 1000]
    assert p.arm_steps == [500, 1300, 1300]  # seed 2 reached: no arm is left at 0
    assert p.ratios == pytest.approx([2.0, 1000 / 1300, 1000 / 1300])
    assert "To reach 90% of the smaller of full's and prefilter's final hypervolumes of the " \
           "same seed, prefilter had a median speed-up of 0.769" in cmp.verdict
    render_comparison(cmp, tmp_path)
    assert "Training steps to reach 90% of the smaller final hypervolume" in (
        tmp_path / "index.html").read_text()
    with pytest.raises(ConfigError, match="a symmetric speed-up target needs a reference arm"):
        compare_runs([], reference=None, speedup_share=0.9)
