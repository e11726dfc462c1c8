"""Calibration: simulated studies with clustered base effects (numpy only, no training).

Each simulated effect is ``mu[operator] + u[base] + e``, u ~ N(0, 1) shared by every child of a
base (a random base intercept), e ~ N(0, 1): intra-base correlation 0.5, as measured in the CI
study. With no operator effect (mu = 0) the guidelines must find no rule in all but about
alpha of the studies (family-wise error); a planted effect must be found and its interval must
cover the truth in about 95% of the studies.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from nas_ops.analysis import ALPHA, EffectRow, derive_guidelines
from nas_ops.analysis.blocks import cluster_bootstrap, make_blocks

N_STUDIES = 200
N_BASES = 30
CHILDREN = 3
OPERATORS = ("op_a", "op_b", "op_c", "op_d")
# 3 Monte-Carlo standard errors of a rate alpha over N_STUDIES studies
TOLERANCE = 3 * math.sqrt(ALPHA * (1 - ALPHA) / N_STUDIES)


def _row(op: str, base: str, k: int, effect: float) -> EffectRow:
    return EffectRow(
        generation=1, slot=k, attempt=0, operator=op, family="layer", parent=base,
        child=f"{base}-{op}-{k}", output="class", metric="accuracy", parent_value=0.5,
        child_value=0.5 + effect, effect=effect, relative_effect=math.nan, affected=True,
        d_parameters=0.0, d_networks=0.0, d_connections=0.0, d_layers=0.0, status="ok",
        neutral=False, cost_s=1.0, parent_parameters=1000.0, scaled_effect=effect)


def simulate(rng: np.random.Generator, mu: dict[str, float]) -> list[EffectRow]:
    """One study's effect table: every operator on every base, CHILDREN children each."""
    intercepts = rng.standard_normal(N_BASES)
    noise = rng.standard_normal((len(OPERATORS), N_BASES, CHILDREN))
    return [_row(op, f"b{b:02d}", k, mu.get(op, 0.0) + intercepts[b] + noise[i, b, k])
            for i, op in enumerate(OPERATORS) for b in range(N_BASES) for k in range(CHILDREN)]


def test_no_operator_effect_gives_no_rules_at_the_stated_rate() -> None:
    rng = np.random.default_rng(2024)
    any_rule = any_naive = 0
    for s in range(N_STUDIES):
        rows = simulate(rng, {})
        g = derive_guidelines(rows, seed=s, n_boot=50)
        any_rule += bool(g.rules)
        # what treating children as independent would claim (Wilcoxon on children, Holm)
        naive = [stats.wilcoxon([r.effect for r in rows if r.operator == op]).pvalue
                 for op in OPERATORS]
        any_naive += min(naive) * len(OPERATORS) < ALPHA
    assert any_rule / N_STUDIES <= ALPHA + TOLERANCE
    assert any_naive / N_STUDIES > 2 * ALPHA  # pseudo-replication: well above alpha


def test_a_planted_effect_is_found_and_covered() -> None:
    rng = np.random.default_rng(7)
    truth = 1.5  # the median of mu + u + e with u, e symmetric around 0
    found = replicated = covered = 0
    for s in range(N_STUDIES):
        rows = simulate(rng, {"op_a": truth})
        blocks = make_blocks((r.base, r.effect) for r in rows if r.operator == "op_a")
        median = cluster_bootstrap(blocks, rng, 400).median
        covered += median.low <= truth <= median.high
        if s < 40:  # the full derivation is slower: enough studies for the power check
            g = derive_guidelines(rows, seed=s, n_boot=100)
            rule = [r for r in g.rules if r.operator == "op_a"]
            found += bool(rule)
            replicated += bool(rule) and rule[0].replicated
    assert found >= 36 and replicated >= 30
    assert 0.90 <= covered / N_STUDIES <= 0.99
