"""Operator effects: one row per (variation with a child, output), and operator rates.

Definitions (every number in a report comes from here):

- ``effect`` = child - parent on the output's primary metric of the **validation** split, signed
  so that positive = better: accuracy as is, error metrics (mse, recon_mse) negated.
  ``relative_effect`` = effect / |parent value| (missing when the parent value is 0).
  The parent of a child is its first parent (a crossover's child 0 is compared with parent 0,
  as in the variation event).
- ``d_parameters`` ... ``d_layers``: child - parent complexity, from the variation event.
- ``cost_s``: the child's evaluation wall time in seconds.
- Rows whose parent or child has no successful evaluation (status ok or duplicate) have
  ``effect = nan`` and are left out of every statistic; they are counted in the rates.

Conditioning covariates (see :mod:`nas_ops.analysis.covariates` for their exact definitions):
``relevance`` / ``relevance_level`` (low/high), ``worst_output``, ``size_level`` (small/large),
``distance`` / ``distance_level`` (near/far). A covariate that cannot be computed is ``None``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from nas_ops.analysis.covariates import Covariates, assign_levels
from nas_ops.store.run import Individual, Run, Variation

_PRIMARY = {"classification": ("accuracy", True), "regression": ("mse", False),
            "generation": ("recon_mse", False)}
COMPLEXITY_KEYS = ("parameters", "networks", "connections", "layers")


@dataclass(frozen=True)
class OutputInfo:
    """An output of the run's task and how it is scored."""

    name: str
    kind: str
    metric: str
    higher_is_better: bool

    def signed(self, value: float) -> float:
        """The metric value signed so that larger is better."""
        return value if self.higher_is_better else -value


@dataclass
class EffectRow:
    """The effect of one variation on one output (long format: one row per output)."""

    generation: int
    slot: int
    attempt: int
    operator: str
    family: str
    parent: str
    child: str
    output: str
    metric: str
    parent_value: float
    child_value: float
    effect: float
    relative_effect: float
    affected: bool
    d_parameters: float
    d_networks: float
    d_connections: float
    d_layers: float
    status: str
    neutral: bool
    cost_s: float
    parent_parameters: float
    edited_network: str | None = None
    relevance: float | None = None
    relevance_level: str | None = None
    worst_output: bool | None = None
    size_level: str | None = None
    distance: int | None = None
    distance_level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def columns() -> list[str]:
        return [f.name for f in fields(EffectRow)]


@dataclass
class OperatorRates:
    """What happened when an operator was tried (every attempt, with or without a child).

    ``ok``: a child was produced; ``neutral``: of those, how many had the parent's structural
    hash; ``not_applicable`` / ``failed``: the variation's status; ``eval_failed``: a child
    produced whose evaluation failed. Rates are over ``attempts``.
    """

    operator: str
    family: str
    attempts: int
    ok: int
    not_applicable: int
    failed: int
    neutral: int
    eval_failed: int
    success_rate: float
    not_applicable_rate: float
    neutral_rate: float
    failure_rate: float
    mean_cost_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def family_of(operator: str) -> str:
    """The registered operator's family, or ``"unknown"``."""
    from nas_ops.variation import get_operator

    try:
        return str(get_operator(operator).family)
    except Exception:  # noqa: BLE001 - an operator no longer registered
        return "unknown"


def run_outputs(run: Run) -> list[OutputInfo]:
    """The outputs of the run (from its first genome), with their primary metric."""
    if not run.individuals:
        return []
    infos = []
    for node in run.individuals[0].genome.outputs:
        metric, higher = _PRIMARY.get(node.kind, (None, True))
        infos.append(OutputInfo(node.id, node.kind, metric or _guess_metric(run, node.id), higher))
    return infos


def _guess_metric(run: Run, output: str) -> str:
    for ind in run.evaluated():
        metrics = ind.evaluation.val.get(output, {}) if ind.evaluation else {}
        if metrics:
            return sorted(metrics)[0]
    return "unknown"


def metric_value(ind: Individual | None, out: OutputInfo, split: str = "val") -> float:
    """The individual's value of ``out``'s primary metric, or nan without a usable evaluation."""
    if ind is None or ind.evaluation is None or not ind.evaluation.ok:
        return math.nan
    metrics = getattr(ind.evaluation, split).get(out.name, {})
    value = metrics.get(out.metric)
    return math.nan if value is None else float(value)


def _complexity_delta(event: dict[str, Any]) -> dict[str, float]:
    before = event.get("complexity_before") or {}
    after_list = event.get("complexity_after") or []
    after = after_list[0] if after_list else {}
    return {k: float(after.get(k, math.nan)) - float(before.get(k, math.nan))
            for k in COMPLEXITY_KEYS}


def _child_record(event: dict[str, Any]) -> dict[str, Any]:
    per_child = event.get("per_child") or []
    return per_child[0] if per_child else event


def effect_rows(run: Run, outputs: list[OutputInfo], split: str = "val") -> list[EffectRow]:
    """Every (variation with a child, output) pair of ``run``, covariates included."""
    by_uid = run.by_uid()
    cov = Covariates(run, outputs, split)
    rows: list[EffectRow] = []
    for var in run.variations:
        child = by_uid.get(var.child) if var.child else None
        if child is None or not child.parents:
            continue
        parent = by_uid.get(child.parents[0])
        rows.extend(_rows_for(var, parent, child, outputs, cov, split))
    assign_levels(rows)
    return rows


def _rows_for(var: Variation, parent: Individual | None, child: Individual,
              outputs: list[OutputInfo], cov: Covariates, split: str) -> list[EffectRow]:
    event = var.event
    rec = _child_record(event)
    affected = set(rec.get("affected_outputs") or event.get("affected_outputs") or [])
    touched = list(rec.get("touched") or event.get("touched") or [])
    delta = _complexity_delta(event)
    before = event.get("complexity_before") or {}
    parent_params = float(before.get("parameters", math.nan))
    family = family_of(var.operator)
    edited = cov.edited_network(parent, touched)
    status = child.evaluation.status if child.evaluation else "missing"
    cost = float(child.evaluation.wall_time_s) if child.evaluation else math.nan
    rows = []
    for out in outputs:
        pv, cv = metric_value(parent, out, split), metric_value(child, out, split)
        eff = out.signed(cv) - out.signed(pv)
        rel = eff / abs(pv) if pv != 0.0 and not math.isnan(pv) else math.nan
        rows.append(EffectRow(
            generation=var.generation, slot=var.slot, attempt=var.attempt,
            operator=var.operator, family=family, parent=parent.uid if parent else "",
            child=child.uid, output=out.name, metric=out.metric, parent_value=pv,
            child_value=cv, effect=eff, relative_effect=rel, affected=out.name in affected,
            d_parameters=delta["parameters"], d_networks=delta["networks"],
            d_connections=delta["connections"], d_layers=delta["layers"], status=status,
            neutral=bool(rec.get("neutral", event.get("neutral", False))), cost_s=cost,
            parent_parameters=parent_params, edited_network=edited,
            relevance=cov.relevance(parent, edited, out.name),
            worst_output=cov.is_worst(parent, out.name),
            distance=cov.distance(child, touched, out.name)))
    return rows


def operator_rates(run: Run) -> list[OperatorRates]:
    """One row per operator tried in the run, sorted by name."""
    by_uid = run.by_uid()
    counts: dict[str, dict[str, Any]] = {}
    for var in run.variations:
        c = counts.setdefault(var.operator, {"attempts": 0, "ok": 0, "not_applicable": 0,
                                             "failed": 0, "neutral": 0, "eval_failed": 0,
                                             "costs": []})
        c["attempts"] += 1
        if var.status in ("ok", "not_applicable", "failed"):
            c[var.status] += 1
        if var.status == "ok" and var.event.get("neutral"):
            c["neutral"] += 1
        child = by_uid.get(var.child) if var.child else None
        if child is not None and child.evaluation is not None:
            c["costs"].append(child.evaluation.wall_time_s)
            if not child.evaluation.ok:
                c["eval_failed"] += 1
    return [_rates(op, c) for op, c in sorted(counts.items())]


def _rates(op: str, c: dict[str, Any]) -> OperatorRates:
    n = c["attempts"]
    costs = c["costs"]
    return OperatorRates(
        operator=op, family=family_of(op), attempts=n, ok=c["ok"],
        not_applicable=c["not_applicable"], failed=c["failed"], neutral=c["neutral"],
        eval_failed=c["eval_failed"], success_rate=c["ok"] / n,
        not_applicable_rate=c["not_applicable"] / n, neutral_rate=c["neutral"] / n,
        failure_rate=c["failed"] / n,
        mean_cost_s=sum(costs) / len(costs) if costs else math.nan)
