"""Guidelines: explicit rules derived from the measured effects, with their evidence.

The base model is the unit and every rule is replicated (see :mod:`nas_ops.analysis.findings`
for the candidates, the two families (confirmatory: Holm; exploratory: Benjamini-Hochberg) and
the discovery / held-out split,
:mod:`nas_ops.analysis.blocks` for the tests and intervals). A *rule* is an ``effect`` finding:
"under <condition = level>, <operator> <improves|worsens> <output> by <median> (95% CI)", with
its effect sizes over all (trained) bases, each with a cluster-bootstrap interval, its discovery
statistics (p, Holm p, median and interval of the tested effect on the discovery bases) and its
replication statistics (the same on the held-out bases, and whether it replicated), and the
retraining budget and parent state it holds for (``regime``, :mod:`nas_ops.analysis.regime`).
Rules come from the confirmatory family only; findings of the exploratory family (cells under a
condition) are listed apart (``exploratory``) as hypotheses. Operators that retrain every
network are judged against the control (``versus_control``), not zero. ``families`` in
guidelines.json says which cells each family holds, its correction and its size.

Bases at chance level (:mod:`nas_ops.analysis.bases`) are left out unless ``allow_untrained``.
Candidates with fewer than ``min_support`` (default ``MIN_SUPPORT`` = 10) children, or without a
non-zero per-base median on the discovery bases, are listed as ``insufficient``; tested ones that
miss significance as ``not_significant``; nothing is dropped silently.

The rule record and the guidelines.json format (name, version, writing and reading) are
:mod:`nas_ops.guidelines_format`, which the ``guided`` policy reads with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nas_ops.analysis.baseline import CONTROL, ControlComparison
from nas_ops.analysis.blocks import N_BOOTSTRAP, cluster_bootstrap, split_bases
from nas_ops.analysis.findings import (
    CONFIRMATORY,
    CORRECTION,
    EXPLORATORY,
    Candidate,
    candidates,
    judge,
)
from nas_ops.analysis.regime import regime
from nas_ops.analysis.rows import EffectRow
from nas_ops.guidelines_format import Rule, document, dumps

MIN_SUPPORT = 10
ALPHA = 0.05


@dataclass
class Guidelines:
    alpha: float
    min_support: int
    n_cells: int
    n_tested: int
    rules: list[Rule] = field(default_factory=list)
    not_significant: list[dict[str, Any]] = field(default_factory=list)
    insufficient: list[dict[str, Any]] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    versus_control: list[ControlComparison] = field(default_factory=list)
    bases: dict[str, Any] = field(default_factory=dict)
    n_family: int = 0  # the confirmatory family Holm covered: tested cells + control pairs
    #: findings of the exploratory family (cells under a condition, BH): hypotheses, not rules
    exploratory: list[Rule] = field(default_factory=list)
    exploratory_not_significant: list[dict[str, Any]] = field(default_factory=list)
    #: per family: which cells, which correction, its size (see :meth:`family_record`)
    families: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def replication(self) -> dict[str, Any]:
        """How many findings (rules and control rules) replicated on the held-out bases."""
        found: list[Rule | ControlComparison] = [*self.rules, *self.control_rules]
        n = sum(f.replicated for f in found)
        return {"findings": len(found), "replicated": n,
                "rate": n / len(found) if found else math.nan}

    @property
    def control_rules(self) -> list[ControlComparison]:
        """Operators significantly better or worse than retraining alone (Holm, alpha)."""
        return [c for c in self.versus_control if c.p_adjusted < self.alpha]

    @property
    def verdict(self) -> str:
        """One plain sentence on the strength of the evidence."""
        chance = len(self.bases.get("at_chance", []))
        if self.n_family == 0 and chance and not self.bases.get("used"):
            return (f"Insufficient evidence: all {chance} base model(s) are at chance level "
                    "(untrained); rules are drawn from trained bases only unless "
                    "allow_untrained is set.")
        if self.n_family == 0:
            return (f"Insufficient evidence: no cell has n >= {self.min_support} effects "
                    f"and a testable per-base summary on the discovery bases "
                    f"({self.n_cells} cells); no rule can be derived.")
        explore = self.families.get(EXPLORATORY, {})
        tail = (f" Exploratory (cells under a condition, Benjamini-Hochberg at q = {self.alpha} "
                f"over {explore['size']}): {explore['findings']} finding(s), hypotheses only."
                if explore.get("size") else "")
        if not self.rules:
            return (f"No rule reaches significance: {self.n_family} confirmatory findings "
                    f"tested with n >= {self.min_support}, alpha = {self.alpha} after Holm "
                    f"correction.{tail}")
        rep = self.replication
        return (f"{len(self.rules)} rule(s) significant at alpha = {self.alpha} on the discovery "
                f"bases after Holm correction over the {self.n_family} confirmatory findings "
                f"tested (operator x output over every base; n >= {self.min_support}); "
                f"{rep['replicated']} of {rep['findings']} finding(s) replicated on the "
                f"held-out bases.{tail}")

    def to_dict(self) -> dict[str, Any]:
        return document({
            "source": self.source,
            "method": {"unit": "base model: per-base median effect of its children",
                       "effect": "child - parent on the output's primary validation metric, "
                                 "signed so that positive = better; edit - matched control "
                                 "when the ledger has matched controls",
                       "scaled_effect": "log(err_before / err_after), err = 1 - accuracy or "
                                        "the MSE (minus the log error ratio)",
                       "test": "exact two-sided Wilcoxon signed-rank of the per-base medians "
                               "of the scaled effect vs 0, on the discovery bases",
                       "correction": "confirmatory family (operator x output over every base, "
                                     "and versus control): holm; exploratory family (the "
                                     "same cells under one condition level): "
                                     "benjamini-hochberg; see families",
                       "alpha": self.alpha,
                       "min_support": self.min_support,
                       "ci": "two-stage cluster bootstrap 95% (bases, then children within)",
                       "replication": "held-out median of the same sign, interval excluding 0",
                       "unaffected_outputs": "exactly unchanged; counted, never tested"},
            "verdict": self.verdict, "n_cells": self.n_cells, "n_tested": self.n_tested,
            "n_family": self.n_family, "families": self.families,
            "bases": self.bases, "replication": self.replication,
            "rules": [r.to_dict() for r in self.rules],
            "versus_control": {
                "control": CONTROL,
                "method": "per base: median effect of the operator's children minus that of "
                          "the base's control children on the same output; Wilcoxon of those "
                          "differences over the discovery bases, Holm in the confirmatory "
                          "family",
                "tested": len(self.versus_control),
                "rules": [c.to_dict() for c in self.control_rules],
                "all": [c.to_dict() for c in self.versus_control]},
            "not_significant": self.not_significant, "insufficient": self.insufficient,
            "exploratory": {"findings": [r.to_dict() for r in self.exploratory],
                            "not_significant": self.exploratory_not_significant},
        })

    def to_json(self) -> str:
        return dumps(self.to_dict())

    def text(self) -> str:
        lines = ["Operator guidelines", "", self.verdict, ""]
        lines += [f"- {r.text()}" for r in self.rules]
        if self.versus_control:
            lines += ["", f"Against retraining alone ({CONTROL}): {len(self.control_rules)} of "
                      f"{len(self.versus_control)} tested operator x output pair(s) differ "
                      f"significantly (alpha = {self.alpha}, Holm, blocked on the base)."]
            lines += [f"- {c.text()}" for c in self.control_rules]
        else:
            lines += ["", f"No control arm ({CONTROL}) to compare with: effects "
                      "include the extra training a child receives; see docs/search.md."]
        if self.insufficient:
            lines += ["", f"Insufficient evidence (n < {self.min_support}): "
                      f"{len(self.insufficient)} cell(s)."]
        if self.not_significant:
            lines += [f"Tested, not significant: {len(self.not_significant)} cell(s)."]
        if self.exploratory:
            lines += ["", f"Exploratory findings (cells under a condition; Benjamini-Hochberg, "
                      f"q < {self.alpha}; hypotheses to confirm, not rules; p_adjusted is the "
                      "q-value):"]
            lines += [f"- {r.text()}" for r in self.exploratory]
        return "\n".join(lines) + "\n"


def _ref(c: Candidate, **extra: Any) -> dict[str, Any]:
    return {"kind": c.kind, "condition": c.condition, "level": c.level, "operator": c.operator,
            "output": c.output, "support": c.n, "n_bases": len(c.blocks), "also": c.also,
            **extra}


def _ci(iv: Any) -> tuple[float, float]:
    return (iv.low, iv.high)


def _rule(c: Candidate, rng: np.random.Generator, n_boot: int,
          reg: dict[str, Any]) -> Rule:
    sizes = cluster_bootstrap(c.absolute, rng, n_boot)
    scaled = cluster_bootstrap(c.blocks, rng, n_boot)
    sign = sizes.median.estimate if sizes.median.estimate != 0 else sizes.cliffs_delta.estimate
    return Rule(c.condition, c.level, c.operator, c.output,
                "improves" if sign > 0 else "worsens", sizes.median.estimate,
                _ci(sizes.median), c.p_value, c.p_adjusted, c.n, sizes.p_improve.estimate,
                sizes.cliffs_delta.estimate, c.complexity_cost, n_bases=sizes.n_bases,
                p_improve_ci=_ci(sizes.p_improve), cliffs_ci=_ci(sizes.cliffs_delta),
                scaled_effect=scaled.median.estimate, scaled_ci=_ci(scaled.median),
                against="matched_control" if c.matched else "zero", also=list(c.also),
                discovery=c.discovery, replication=c.replication, replicated=c.replicated,
                regime=reg)


def _comparison(c: Candidate, rng: np.random.Generator, n_boot: int,
                reg: dict[str, Any]) -> ControlComparison:
    sizes = cluster_bootstrap(c.absolute, rng, n_boot)
    return ControlComparison(c.operator, c.output, c.n, c.n_control, sizes.median.estimate,
                             _ci(sizes.median), c.p_value, c.p_adjusted, len(c.absolute),
                             c.discovery, c.replication, c.replicated, reg)


def _order(r: Rule) -> tuple[float, str, str, str, str]:
    return (r.p_adjusted, r.condition, r.level, r.operator, r.output)


def family_record(tested: Sequence[Candidate], alpha: float, family: str) -> dict[str, Any]:
    """Which cells a family holds, its correction, size, and how many findings it gave."""
    members = [c for c in tested if c.family == family]
    cells = ("operator x output over every base (condition all; the cells a study is sized "
             "for), and versus-control pairs" if family == CONFIRMATORY else
             "operator x output under one level of a condition (relevance, worst_output, size, "
             "distance, affected); overlapping the confirmatory cells and each other")
    return {"cells": cells, "correction": CORRECTION[family], "alpha": alpha,
            "size": len(members), "findings": sum(c.p_adjusted < alpha for c in members),
            "members": [f"{c.operator} x {c.output}" if c.condition == "all" else
                        f"{c.operator} x {c.output} | {c.condition} = {c.level}"
                        for c in members]}


def derive_guidelines(rows: Sequence[EffectRow], alpha: float = ALPHA,
                      min_support: int = MIN_SUPPORT, source: dict[str, Any] | None = None, *,
                      seed: int = 0, base_status: dict[str, dict[str, Any]] | None = None,
                      allow_untrained: bool = False, n_boot: int = N_BOOTSTRAP,
                      training: dict[str, Any] | None = None) -> Guidelines:
    """Rules (and comparisons with the control) from effect rows (see the module docstring).
    ``base_status`` is :func:`nas_ops.analysis.bases.base_status` of the rows' bases;
    ``training`` is :func:`nas_ops.analysis.regime.training_config` of the run (without it a
    rule's regime states the steps and parent state only)."""
    status = base_status or {}
    chance = sorted(b for b, s in status.items() if s.get("chance_level"))
    excluded = set() if allow_untrained else set(chance)
    used = [r for r in rows if r.base not in excluded]
    discovery, held_out = split_bases({r.base for r in used}, seed)
    cands = candidates(used)
    tested, untested = judge(cands, discovery, held_out, alpha, min_support, seed, n_boot)
    confirmatory = [c for c in tested if c.family == CONFIRMATORY]
    n_cells = sum(c.kind == "effect" for c in confirmatory)
    g = Guidelines(alpha, min_support, len(cands), n_cells, source=dict(source or {}),
                   n_family=len(confirmatory))
    g.families = {f: family_record(tested, alpha, f) for f in (CONFIRMATORY, EXPLORATORY)}
    g.bases = {"n": len({r.base for r in rows}), "at_chance": chance,
               "allow_untrained": allow_untrained, "used": len(discovery) + len(held_out),
               "converged": sum(bool(s.get("converged")) for s in status.values()),
               "discovery": discovery, "held_out": held_out, "split_seed": seed}
    g.insufficient = [_ref(c, reason=f"n = {c.n} < {min_support}" if c.n < min_support
                           else "no non-zero per-base median on the discovery bases")
                      for c in untested]
    rng = np.random.default_rng([seed, 4])
    for c in tested:
        if c.kind == "versus_control":
            g.versus_control.append(_comparison(c, rng, n_boot,
                                                regime(c.rows, status, training or {})))
        elif c.p_adjusted < alpha:
            rule = _rule(c, rng, n_boot, regime(c.rows, status, training or {}))
            (g.rules if c.family == CONFIRMATORY else g.exploratory).append(rule)
        else:
            ref = _ref(c, p_value=c.p_value, p_adjusted=c.p_adjusted)
            (g.not_significant if c.family == CONFIRMATORY
             else g.exploratory_not_significant).append(ref)
    g.rules.sort(key=_order)
    g.exploratory.sort(key=_order)
    return g
