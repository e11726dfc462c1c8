"""Operator effects: one row per (variation with a child, output), and operator rates.

Definitions (every number in a report comes from here):

- ``effect`` = child - parent on the output's primary metric of the **validation** split, signed
  so that positive = better: accuracy as is, error metrics (mse, recon_mse) negated.
  ``relative_effect`` = effect / |parent value| (missing when the parent value is 0).
  The parent of a child is its first parent (a crossover's child 0 is compared with parent 0,
  as in the variation event).
- ``d_parameters`` ... ``d_layers``, ``d_flops``: child - parent complexity of the whole genome,
  from the variation event (FLOPs: forward FLOPs per sample).
- ``d_output_parameters`` / ``d_output_flops``: child - parent parameters / FLOPs of the row's
  output subgraph (the networks that reach the output; a network shared by two outputs counts
  in both), from the event's per-output complexity (ledger schema 5); for an older ledger they
  are computed from the parent's and the child's genomes the same way
  (:func:`nas_ops.genome.shapes.output_cost`).
- ``family``: the operator family recorded in the event (ledger schema 2); for older ledgers,
  the family of the operator registered now, else ``"unknown"``.
- ``cost_s``: the child's evaluation wall time in seconds.
- ``child_steps`` / ``parent_steps``: the optimizer steps of the child's and of the parent's
  evaluation (nan without one): the retraining budget a finding holds for
  (:mod:`nas_ops.analysis.regime`).
- ``scaled_effect`` = log(err_parent / err_child), minus the log error ratio (error = 1 - accuracy,
  or the MSE): scale-free, so bases whose errors differ 70x pool; positive = better.
- ``retrains_all``: the edit changed a training hyperparameter (every network trains again) or
  the row is a control; such an edit is judged against a control, never against zero.
- Matched controls (operator ``matched_control``, decision ``control_of`` = the edit child's uid):
  ``control`` / ``control_value`` name the edit's control child and its metric,
  ``effect_vs_control`` = child - control (signed) and ``scaled_vs_control`` =
  log(err_control / err_child): the primary effect, paired within the base. Without matched
  controls these stay None / nan and the primary effect is the one against the parent.
- Rows whose parent or child has no successful evaluation (status ok or duplicate) have
  ``effect = nan`` and are left out of every statistic; they are counted in the rates.

Conditioning covariates (see :mod:`nas_ops.analysis.covariates` for their exact definitions):
``relevance`` / ``relevance_level`` (low/high), ``worst_output``, ``size_level`` (small/large),
``distance`` / ``distance_level`` (near/far). A covariate that cannot be computed is ``None``.
"""

from __future__ import annotations

import math
from typing import Any

from nas_ops.analysis.covariates import Covariates, assign_levels
from nas_ops.analysis.rows import (
    COMPLEXITY_KEYS,
    CONTROLS,
    MATCHED_CONTROL,
    EffectRow,
    OperatorRates,
    OutputInfo,
    log_error_ratio,
    metric_value,
    run_outputs,
)
from nas_ops.genome.shapes import output_cost
from nas_ops.store.run import Individual, Run, Variation
from nas_ops.variation import UNKNOWN, ChildRecord, VariationEvent, get_operator


def event_family(event: VariationEvent) -> str:
    """The operator family the event recorded; for a ledger written before events carried it
    (schema 1), the family of the operator registered now, or ``"unknown"``."""
    if event.family != UNKNOWN:
        return event.family
    try:
        return str(get_operator(event.operator).family)
    except Exception:  # noqa: BLE001 - an operator not registered here
        return UNKNOWN


def _complexity_delta(event: VariationEvent) -> dict[str, float]:
    before = event.complexity_before or {}
    after = event.complexity_after[0] if event.complexity_after else {}
    return {k: float(after.get(k, math.nan)) - float(before.get(k, math.nan))
            for k in (*COMPLEXITY_KEYS, "flops")}


def output_deltas(rec: ChildRecord | None, parent: Individual | None,
                  child: Individual) -> dict[str, tuple[float, float]]:
    """Per output: child - parent (parameters, FLOPs) of its subgraph, from the child record;
    from the genomes when the record has none (a ledger older than schema 5)."""
    if rec is None or not rec.output_complexity_after:
        if parent is None:
            return {}
        rec = ChildRecord(output_complexity_before=output_cost(parent.genome),
                          output_complexity_after=output_cost(child.genome))
    return {o: (rec.output_delta(o, "parameters"), rec.output_delta(o, "flops"))
            for o in rec.output_complexity_after}


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
    _attach_matched_controls(run, rows, outputs, split)
    return rows


def control_of(var: Variation) -> str | None:
    """The edit child a matched control belongs to (its ``control_of`` decision), else None."""
    if var.operator != MATCHED_CONTROL:
        return None
    for d in var.event.decisions:
        if d.get("name") == "control_of":
            return str(d.get("value"))
    child = var.child or ""
    return child[1:] if child.startswith("m") else None


def _attach_matched_controls(run: Run, rows: list[EffectRow], outputs: list[OutputInfo],
                             split: str) -> None:
    by_uid = run.by_uid()
    controls = {edit: var.child for var in run.variations
                if var.child and (edit := control_of(var)) is not None}
    infos = {o.name: o for o in outputs}
    for r in rows:
        ctrl = by_uid.get(controls.get(r.child, ""))
        if ctrl is None or r.operator in CONTROLS:
            continue
        out = infos[r.output]
        r.control = ctrl.uid
        r.control_value = metric_value(ctrl, out, split)
        r.effect_vs_control = out.signed(r.child_value) - out.signed(r.control_value)
        r.scaled_vs_control = log_error_ratio(out, r.control_value, r.child_value)


def _rows_for(var: Variation, parent: Individual | None, child: Individual,
              outputs: list[OutputInfo], cov: Covariates, split: str) -> list[EffectRow]:
    event = var.event
    rec = event.per_child[0] if event.per_child else None
    affected = set((rec.affected_outputs if rec else []) or event.affected_outputs)
    touched = list((rec.touched if rec else []) or event.touched)
    delta = _complexity_delta(event)
    per_output = output_deltas(rec, parent, child)
    parent_params = float(event.complexity_before.get("parameters", math.nan))
    family = event_family(event)
    edited = cov.edited_network(parent, touched)
    status = child.evaluation.status if child.evaluation else "missing"
    cost = float(child.evaluation.wall_time_s) if child.evaluation else math.nan
    steps = [float(i.evaluation.steps) if i is not None and i.evaluation else math.nan
             for i in (child, parent)]
    hyper = bool(rec.diff.get("hyper_changed")) if rec else False
    retrains_all = hyper or var.operator in CONTROLS
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
            neutral=rec.neutral if rec else event.neutral, cost_s=cost,
            parent_parameters=parent_params, d_flops=delta["flops"],
            d_output_parameters=per_output.get(out.name, (math.nan, math.nan))[0],
            d_output_flops=per_output.get(out.name, (math.nan, math.nan))[1],
            edited_network=edited,
            relevance=cov.relevance(parent, edited, out.name),
            worst_output=cov.is_worst(parent, out.name, child.generation),
            distance=cov.distance(child, touched, out.name),
            scaled_effect=log_error_ratio(out, pv, cv), retrains_all=retrains_all,
            child_steps=steps[0], parent_steps=steps[1]))
    return rows


def operator_rates(run: Run) -> list[OperatorRates]:
    """One row per operator tried in the run, sorted by name."""
    by_uid = run.by_uid()
    counts: dict[str, dict[str, Any]] = {}
    for var in run.variations:
        c = counts.setdefault(var.operator, {"attempts": 0, "ok": 0, "not_applicable": 0,
                                             "failed": 0, "neutral": 0, "eval_failed": 0,
                                             "costs": [], "family": UNKNOWN})
        if c["family"] == UNKNOWN:
            c["family"] = event_family(var.event)
        c["attempts"] += 1
        if var.status in ("ok", "not_applicable", "failed"):
            c[var.status] += 1
        if var.status == "ok" and var.event.neutral:
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
        operator=op, family=c["family"], attempts=n, ok=c["ok"],
        not_applicable=c["not_applicable"], failed=c["failed"], neutral=c["neutral"],
        eval_failed=c["eval_failed"], success_rate=c["ok"] / n,
        not_applicable_rate=c["not_applicable"] / n, neutral_rate=c["neutral"] / n,
        failure_rate=c["failed"] / n,
        mean_cost_s=sum(costs) / len(costs) if costs else math.nan)


__all__ = ["COMPLEXITY_KEYS", "EffectRow", "OperatorRates", "OutputInfo", "control_of",
           "effect_rows", "event_family", "metric_value", "operator_rates", "run_outputs"]
