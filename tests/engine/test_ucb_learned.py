"""The ucb policy against a hand-computed UCB1 sequence, and the learned policy and its effect
model on a tiny synthetic model (oracles by hand)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nas_ops import ConfigError
from nas_ops.config import PolicyConfig
from nas_ops.engine.policies import POLICIES, LearnedPolicy, ParentState, PolicyContext, UcbPolicy
from nas_ops.engine.policies.bandits import fir
from nas_ops.engine.policies.effects import load_model, mid_percentile
from nas_ops.experiments.effect_fit import check, empty_model, fit_rows
from nas_ops.tables.nb201 import OPS as NB201_OPS
from search_spaces import nb201

OPS = ["a", "b", "c"]


def test_fir_is_the_improvement_rate_of_frrmab() -> None:
    assert fir(0.1, 0.5) == pytest.approx(0.2)
    assert fir(-0.1, 0.5) == 0.0 and fir(-1.0, 0.5) == 0.0  # no better / a duplicate
    assert fir(0.3, 0.0) == pytest.approx(0.3) and fir(0.3, None) == pytest.approx(0.3)


def test_ucb1_against_a_hand_computed_sequence() -> None:
    ucb = POLICIES.get("ucb")(PolicyConfig(name="ucb"), PolicyContext(8, 3))
    assert isinstance(ucb, UcbPolicy)
    rng = np.random.default_rng(0)
    # uncredited arms first, drawn uniformly: the generator's draws pick them
    first = ucb.choose(None, OPS, rng).operator  # type: ignore[arg-type]
    expect = OPS[int(np.random.default_rng(0).integers(3))]
    assert first == expect
    # credit each once by hand: a +0.2 on parent 0.5 (FIR 0.4), b nothing, c +0.05 (FIR 0.1)
    for op, reward in (("a", 0.2), ("b", -0.1), ("c", 0.05)):
        ucb.credit(op, reward, 0.5)
    # n = 3, every n_j = 1: index = mean + sqrt(2 ln 3) = mean + 1.4823
    assert ucb.index(OPS) == pytest.approx({"a": 0.4 + math.sqrt(2 * math.log(3)),
                                            "b": 0.0 + math.sqrt(2 * math.log(3)),
                                            "c": 0.1 + math.sqrt(2 * math.log(3))})
    seq = []
    credits = {"a": -1.0, "b": 0.5, "c": -1.0}  # after this: a and c fail, b gains FIR 1.0
    for _ in range(4):
        op = ucb.choose(None, OPS, rng).operator  # type: ignore[arg-type]
        seq.append(op)
        ucb.credit(op, credits[op], 0.5)
    # step 1: a (0.4 + 1.482 = 1.882) > c (1.582) > b (1.482)          -> a, a's mean 0.2
    # step 2: n = 4: a 0.2 + sqrt(2 ln 4 / 2) = 1.377; b 0 + 1.665; c 0.1 + 1.665 = 1.765 -> c
    # step 3: n = 5: a 0.2 + 1.269 = 1.469; b 0 + 1.794 = 1.794; c 0.05 + 1.269 = 1.319 -> b
    # step 4: n = 6: a 0.2 + 1.339 = 1.539; b 0.5 + 1.339 = 1.839; c 0.05 + 1.339 -> b
    assert seq == ["a", "c", "b", "b"]
    assert ucb.state() == {"n": {"a": 2, "b": 3, "c": 2},
                           "total": pytest.approx({"a": 0.4, "b": 2.0, "c": 0.1})}
    ucb.credit("crossover_op", 5.0, 0.5)  # an operator it never chose: not credited
    assert "crossover_op" not in ucb.n
    # an operator that already failed for this child is left out
    tried = ParentState("p", ("class",), tried=("b",))
    assert ucb.choose(None, OPS, rng, tried).operator == "a"  # type: ignore[arg-type]


def _tiny_model(tmp_path: Path) -> Path:
    """An nb201 model whose only non-zero coefficients: changing edge 2 adds 0.02, and a
    replaced 'none' adds 0.05 (to class)."""
    model = empty_model("nb201/cifar10", np.array([0.1, 0.5, 0.9]))
    col = model.col
    model.coef[col["nb201_change_op@2"], 0] = 0.02
    model.coef[col["nb201_change_op|replaced=none"], 0] = 0.05
    model.effect_sd = {o: 0.1 for o in model.objectives}
    path = tmp_path / "m.json"
    model.write(path)
    return path


def test_the_learned_policy_draws_by_softmax_over_predicted_improvement(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path)
    model = load_model(path)
    assert model.percentile(0.5) == pytest.approx(0.5) and model.percentile(0.0) == 0.0
    ops = ("nor_conv_3x3", "none", "skip_connect", "nor_conv_1x1", "avg_pool_3x3",
           "nor_conv_3x3")
    parent = nb201.build("cifar10", ops)
    edges = nb201.edge_ids(parent)
    policy = POLICIES.get("learned")(PolicyConfig(name="learned", model=str(path),
                                                  temperature=0.1), PolicyContext(8, 1))
    assert isinstance(policy, LearnedPolicy)
    scored = policy.scores(parent, ["nb201_change_op"], 0.5)
    # edge 1 carries 'none' (+0.05), edge 2 is the favoured position (+0.02), others 0
    assert [(t, round(s, 12)) for _, t, s in scored] == [
        (edges[0], 0.0), (edges[1], 0.05), (edges[2], 0.02), (edges[3], 0.0), (edges[4], 0.0),
        (edges[5], 0.0)]
    # softmax at temperature 0.1 x sd 0.1 = 0.01: weights exp((s - 0.05) / 0.01)
    w = np.exp((np.array([0, 0.05, 0.02, 0, 0, 0]) - 0.05) / 0.01)
    p = w / w.sum()
    state = ParentState("p", ("class",), values={"class": 0.5})
    n = 4000
    rng = np.random.default_rng(7)
    counts = dict.fromkeys(edges, 0)
    for _ in range(n):
        choice = policy.choose(parent, ["nb201_change_op"], rng, state)
        (target,) = choice.target
        counts[target] += 1
    for k, e in enumerate(edges):  # within 4 binomial standard deviations
        assert abs(counts[e] / n - p[k]) <= 4 * math.sqrt(p[k] * (1 - p[k]) / n) + 1e-9
    # no selection value (a failed parent): uniform, and the reason says so
    fallback = policy.choose(parent, ["nb201_change_op"], rng, ParentState("p", ("class",)))
    assert fallback.reason == "uniform: the parent has no selection value" and not fallback.target


def test_bad_model_files_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^policy.name = 'learned' needs policy.model"):
        PolicyConfig(name="learned")
    (tmp_path / "x.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ConfigError, match=r"not an effect model of format"):
        load_model(tmp_path / "x.json")
    with pytest.raises(ConfigError, match=r"cannot read it"):
        load_model(tmp_path / "missing.json")


def test_ridge_recovers_a_planted_model_and_check_reports_it() -> None:
    model = empty_model("nb201/cifar10", np.linspace(0, 1, 11))
    rng = np.random.default_rng(0)
    rows = []
    for base in range(60):
        ops = [NB201_OPS[int(k)] for k in rng.integers(5, size=6)]
        sel = float(rng.random())
        for pos in range(6):
            # planted: +0.03 at position 3, -0.04 when 'none' is replaced, + 0.1 * pct
            effect = 0.03 * (pos == 3) - 0.04 * (ops[pos] == "none") \
                + 0.1 * mid_percentile(model.selection_values, sel)
            rows.append({"base": base, "operator": "nb201_change_op", "target": f"e{pos}",
                         "position": pos, "link": None, "ops": ops, "selection": sel,
                         "effect": [effect, 0.0, 0.0, 0.0], "children": 4})
    fitted = fit_rows("nb201/cifar10", rows, model.selection_values, ridge=1e-9)
    x = np.array([fitted.encode(None, r["ops"], "nb201_change_op", r["position"],
                                fitted.percentile(r["selection"])) for r in rows])
    assert fitted.predict(x)[:, 0] == pytest.approx([r["effect"][0] for r in rows], abs=1e-6)
    got = check(fitted, rows, bins=3)
    # exact but for float noise, which breaks the observed ties at random: 1 up to those ties
    assert got["spearman"] > 0.99 and got["bases"] == 60
    assert got["rows"] == 360 and sum(b["rows"] for b in got["calibration"]) == 360
    for b in got["calibration"]:  # a perfect model: predicted = observed in every bin
        assert b["predicted"] == pytest.approx(b["observed"], abs=1e-6)
