"""The operator study on a benchmark table (issue 23 point 1; docs/tables-operators.md).

Per table: the table's distinct architectures are split by the project's
:func:`~nas_ops.analysis.blocks.split_bases` (rows as zero-padded uids, ``seed``) into a
discovery half and a held-out half; every row is a base. Every mutation operator of the space is
applied to every base at every target with every value
(:func:`~nas_ops.experiments.table_neighbours.neighbourhood`, the operators' own code);
crossover is sampled: ``partners`` partners per base, drawn uniformly from the base's own half,
then the operator's uniform draw of what to exchange; the first child is compared with the base.
An effect is child minus parent on each objective (:data:`OBJECTIVES`), as the ``table``
backend's records hold them (:func:`~nas_ops.evaluation.table.row_metrics`): the selection
metric is validation performance on nbgraph and baseline accuracy on nb201 (AnalogNAS-Bench has
no validation split: it measured on the CIFAR-10 test set); the test column of nbgraph is never
read.

Cells (statistics: :mod:`nas_ops.experiments.table_effects`, per-base medians first):

- confirmatory, sized before anything runs (:func:`plan_table`): operator x objective, condition
  ``all``; Holm over the table's cells on the discovery bases;
- exploratory: the same under a condition: ``percentile`` (the parent's standing in the whole
  table by the selection metric, in 5 bins), ``target`` (the node or edge), ``replaced`` (the
  operation the target carried) and ``put_in`` (the operation put there), the last three for
  the mutation operators whose value is an operation; Benjamini-Hochberg over them.

A cell significant on the discovery half *replicates* when its held-out median has the same
non-zero sign and the held-out interval excludes 0 (the rule of
:func:`nas_ops.analysis.findings.judge`). The significant cells are the rules of the table's
guidelines.json, in the project's format (:mod:`nas_ops.guidelines_format`); the ``guided``
policy reads it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nas_ops.analysis.blocks import split_bases
from nas_ops.analysis.power import POWER, detectable_effect
from nas_ops.analysis.statistics import benjamini_hochberg, holm
from nas_ops.evaluation.table import row_metrics
from nas_ops.experiments.table_effects import base_medians, cell_stats
from nas_ops.experiments.table_neighbours import (
    CROSSOVER,
    MUTATIONS,
    Children,
    crossover_children,
    neighbourhood,
)
from nas_ops.guidelines_format import Rule, document, dumps
from nas_ops.tables import Table, get_table, nb201, nbgraph

ALPHA = 0.05
BINS = 5
PARTNERS = 2
DECIMALS = 12
SELECTION = "class"  # the selection metric's name in the rules: the tables' one output


@dataclass(frozen=True)
class Objective:
    """One objective: its name in the rules, where a record holds it, which way is better."""

    name: str
    split: str  # "val" or "complexity"
    metric: str
    higher_is_better: bool


OBJECTIVES: dict[str, tuple[Objective, ...]] = {
    "nbgraph": (Objective(SELECTION, "val", "accuracy", True),
                Objective("latency_us", "complexity", "latency_us", False),
                Objective("parameters", "complexity", "parameters", False)),
    "nb201": (Objective(SELECTION, "val", "accuracy", True),
              Objective("class.analog_accuracy", "val", "analog_accuracy", True),
              Objective("class.drift_30d_accuracy", "val", "drift_30d_accuracy", True),
              Objective("parameters", "complexity", "parameters", False)),
}
# operators whose last decision puts an operation in (conditions replaced / put_in apply)
PUTS_OPERATION = ("nbgraph_change_op", "nb201_change_op")


def split_table(table: str) -> tuple[str, str]:
    name, _, dataset = table.partition("/")
    return name, dataset


def objective_values(loaded: Table) -> dict[str, np.ndarray]:
    """Every row's value of each objective, read through the backend's own record builder."""
    objs = OBJECTIVES[loaded.name]
    values = np.empty((len(loaded), len(objs)))
    for r in range(len(loaded)):
        val, _, cx = row_metrics(loaded, r)
        for j, o in enumerate(objs):
            values[r, j] = val["class"][o.metric] if o.split == "val" else cx[o.metric]
    return {o.name: np.ascontiguousarray(values[:, j]) for j, o in enumerate(objs)}


def percentile_bins(selection: np.ndarray) -> np.ndarray:
    """Each row's bin (0 .. BINS-1) of its percentile in the table by the selection metric
    (average rank over the rows, ties shared)."""
    from scipy import stats

    pct = (stats.rankdata(selection) - 0.5) / selection.size
    return np.minimum((pct * BINS).astype(np.int64), BINS - 1)


def percentile_bounds(selection: np.ndarray,
                      bins: np.ndarray) -> dict[str, list[float | None]]:
    """Each percentile level's band of the selection value, [low, high) (None: unbounded): a
    table architecture is in bin ``k`` exactly when its value lies in that bin's band (bins
    are monotone in the value, ties in one bin). The ``guided`` policy reads them."""
    lows = [float(selection[bins == k].min()) for k in range(BINS)]
    return {bin_label(k): [lows[k] if k else None, lows[k + 1] if k + 1 < BINS else None]
            for k in range(BINS)}


def bin_label(k: int) -> str:
    step = 100 // BINS
    return f"p{k * step}-{(k + 1) * step}"


def _ops_of(name: str, dataset: str) -> tuple[str, ...]:
    return nbgraph.ops_of(dataset) if name == "nbgraph" else nb201.OPS


def _targets(name: str) -> tuple[str, ...]:
    from nas_ops.engine.policies.effects import slot_labels

    return slot_labels(name)


def planned_cells(name: str, dataset: str) -> list[tuple[str, str, str, str, str]]:
    """(family, operator, condition, level, objective) of every cell, known before running."""
    ops = _ops_of(name, dataset)
    out = []
    for op in (*MUTATIONS[name], CROSSOVER[name]):
        conds: list[tuple[str, str]] = [("percentile", bin_label(k)) for k in range(BINS)]
        if op != CROSSOVER[name]:
            conds += [("target", t) for t in _targets(name)]
        if op in PUTS_OPERATION:
            conds += [(c, o) for c in ("replaced", "put_in") for o in ops]
        for o in OBJECTIVES[name]:
            out.append(("confirmatory", op, "all", "all", o.name))
            out += [("exploratory", op, c, lv, o.name) for c, lv in conds]
    return out


def split_rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(discovery rows, held-out rows) of a table of ``n`` rows (or of ``n`` sampled rows)."""
    width = len(str(n))
    disc, held = split_bases([f"{r:0{width}d}" for r in range(n)], seed)
    return np.asarray(sorted(map(int, disc))), np.asarray(sorted(map(int, held)))


def chosen_rows(n_rows: int, bases: int | None, seed: int) -> np.ndarray:
    """The rows that are bases: all, or ``bases`` of them drawn without replacement (CI)."""
    if bases is None or bases >= n_rows:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng([seed, 5]).choice(n_rows, bases, replace=False))


def plan_table(table: str, seed: int, bases: int | None = None,
               alpha: float = ALPHA) -> dict[str, Any]:
    """The table's families and what they can detect, from the number of bases alone."""
    name, dataset = split_table(table)
    n_rows = len(get_table(name, dataset))
    rows = chosen_rows(n_rows, bases, seed)
    disc, _ = split_rows(rows.size, seed)
    cells = planned_cells(name, dataset)
    m = sum(c[0] == "confirmatory" for c in cells)
    return {"table": table, "rows": n_rows, "bases": int(rows.size),
            "discovery": int(disc.size), "held_out": int(rows.size - disc.size),
            "confirmatory_cells": m, "exploratory_cells": len(cells) - m,
            "objectives": [o.name for o in OBJECTIVES[name]],
            "operators": [*MUTATIONS[name], CROSSOVER[name]],
            # Holm's first step is Bonferroni: a cell found at alpha / m is found by Holm
            "detectable_sd": detectable_effect(int(disc.size), alpha / m, POWER),
            "power": POWER, "alpha": alpha}


@dataclass
class _Effects:
    children: Children
    deltas: dict[str, np.ndarray]  # objective -> child minus parent, per child


def _merge(parts: Sequence[Children], operators: tuple[str, ...]) -> Children:
    """One :class:`Children` of several, operators numbered in ``operators``' order and every
    label coded once."""
    labels: dict[str, int] = {}
    cols: list[list[np.ndarray]] = [[] for _ in range(6)]
    for c in parts:
        remap = np.asarray([labels.setdefault(lab, len(labels)) for lab in c.labels] + [-1])
        ops = np.asarray([operators.index(op) for op in c.operators])
        for k, a in enumerate((c.parent, c.child, ops[c.operator], remap[c.target],
                               remap[c.value], remap[c.before])):
            cols[k].append(a)
    a = [np.concatenate(col) for col in cols]
    return Children(parent=a[0], child=a[1], operator=a[2], target=a[3], value=a[4],
                    before=a[5], operators=operators, labels=tuple(labels))


def _effects(loaded: Table, values: dict[str, np.ndarray], rows: np.ndarray, disc: np.ndarray,
             held: np.ndarray, partners: int, seed: int) -> tuple[_Effects, dict[str, int]]:
    mut = neighbourhood(loaded, rows.tolist())
    rng = np.random.default_rng([seed, 6])
    xo_d, skip_d = crossover_children(loaded, rows[disc].tolist(), partners, rng)
    xo_h, skip_h = crossover_children(loaded, rows[held].tolist(), partners, rng)
    children = _merge([mut, xo_d, xo_h], (*mut.operators, CROSSOVER[loaded.name]))
    # rounded to 12 decimals: a difference of two equal accuracies read from different rows
    # is 0, not a float's last-digit noise (which a signed-rank test would count)
    deltas = {o: np.round(v[children.child] - v[children.parent], DECIMALS)
              for o, v in values.items()}
    return _Effects(children, deltas), {"discovery": skip_d, "held_out": skip_h}


def _signed(x: float, higher: bool) -> float:
    return x if higher else -x


def _sign(x: float) -> int:
    return 0 if math.isnan(x) or x == 0 else (1 if x > 0 else -1)


def study_table(table: str, seed: int, *, bases: int | None = None, partners: int = PARTNERS,
                alpha: float = ALPHA) -> dict[str, Any]:
    """The operator study of one table: every cell's statistics on both halves, the families'
    corrections, replication, and the guidelines document."""
    start = time.process_time()
    name, dataset = split_table(table)
    loaded = get_table(name, dataset)
    rows = chosen_rows(len(loaded), bases, seed)
    disc, held = split_rows(rows.size, seed)
    values = objective_values(loaded)
    eff, skipped = _effects(loaded, values, rows, disc, held, partners, seed)
    enumerated = time.process_time() - start
    c = eff.children
    half = np.full(len(loaded), -1, dtype=np.int64)
    half[rows[disc]], half[rows[held]] = 0, 1
    bins = percentile_bins(values[SELECTION])
    label = {lab: k for k, lab in enumerate(c.labels)}
    higher = {o.name: o.higher_is_better for o in OBJECTIVES[name]}
    op_code = {op: k for k, op in enumerate(c.operators)}
    cells: list[dict[str, Any]] = []
    masks: dict[tuple[str, str, str], np.ndarray] = {}
    for family, op, cond, level, obj in planned_cells(name, dataset):
        key = (op, cond, level)
        if key not in masks:
            m = c.operator == op_code[op]
            if cond == "percentile":
                m = m & (bins[c.parent] == int(level[1:].split("-")[0]) * BINS // 100)
            elif cond in ("target", "replaced", "put_in"):
                col = {"target": c.target, "replaced": c.before, "put_in": c.value}[cond]
                m = m & (col == label.get(level, -2))
            masks[key] = np.flatnonzero(m)
        idx = masks[key]
        parents = c.parent[idx]
        bases_, med = base_medians(parents, eff.deltas[obj][idx])
        d_par = eff.deltas["parameters"][idx]
        cell: dict[str, Any] = {"family": family, "operator": op, "condition": cond,
                                "level": level, "objective": obj,
                                "higher_is_better": higher[obj],
                                "complexity_cost": float(np.median(d_par)) if idx.size
                                else math.nan}
        for h, what in ((0, "discovery"), (1, "held_out")):
            keep = half[bases_] == h
            cell[what] = cell_stats(med[keep], int(np.count_nonzero(half[parents] == h)))
        cells.append(cell)
    _correct(cells, alpha)
    ops_summary = _operator_summary(c, half, skipped)
    doc = guidelines(table, cells, seed, alpha, partners, rows.size, disc.size, held.size,
                     percentile_bounds(values[SELECTION], bins))
    return {"table": table, "seed": seed, "bases": int(rows.size),
            "discovery": int(disc.size), "held_out": int(held.size), "partners": partners,
            "operators": ops_summary, "cells": cells,
            "cpu_s": {"enumerate": enumerated, "total": time.process_time() - start},
            "guidelines": doc}


def _correct(cells: list[dict[str, Any]], alpha: float) -> None:
    for family, adjust in (("confirmatory", holm), ("exploratory", benjamini_hochberg)):
        fam = [c for c in cells if c["family"] == family]
        ps = [c["discovery"].get("p_value", math.nan) for c in fam]
        for c, adj in zip(fam, adjust(ps), strict=True):
            c["p_adjusted"] = adj
            c["significant"] = bool(adj < alpha)
            d, h = c["discovery"], c["held_out"]
            direction = _sign(d.get("median", math.nan)) or _sign(
                d.get("up", 0.0) - d.get("down", 0.0))
            ci = h.get("ci", [math.nan, math.nan])
            c["replicated"] = bool(c["significant"] and direction != 0
                                   and _sign(h.get("median", math.nan)) == direction
                                   and (ci[0] > 0 or ci[1] < 0))


def _operator_summary(c: Children, half: np.ndarray,
                      skipped: dict[str, int]) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for k, op in enumerate(c.operators):
        m = c.operator == k
        per = np.bincount(c.parent[m], minlength=half.size)[half >= 0]
        out[op] = {"children": int(m.sum()), "neutral": float(np.mean(c.child[m] == c.parent[m]))
                   if m.any() else math.nan, "per_base_min": int(per.min()),
                   "per_base_max": int(per.max()), "per_base_mean": float(per.mean())}
    out[c.operators[-1]]["not_applicable_draws"] = skipped
    return out


def _rule(c: dict[str, Any]) -> Rule:
    d, h, hib = c["discovery"], c["held_out"], c["higher_is_better"]
    med = _signed(d["median"], hib)
    lo, hi = (d["ci"][0], d["ci"][1]) if hib else (-d["ci"][1], -d["ci"][0])
    up, down = (d["up"], d["down"]) if hib else (d["down"], d["up"])
    p_ci = tuple(d["up_ci"]) if hib else (math.nan, math.nan)
    direction = "improves" if (med > 0 or (med == 0 and up > down)) else "worsens"
    return Rule(c["condition"], c["level"], c["operator"], c["objective"], direction, med,
                (lo, hi), d["p_value"], c["p_adjusted"], d["n"], up, up - down,
                c["complexity_cost"], n_bases=d["n_bases"], p_improve_ci=p_ci,
                discovery={**d, "family": c["family"], "correction":
                           "holm" if c["family"] == "confirmatory" else "bh"},
                replication=h, replicated=c["replicated"])


def guidelines(table: str, cells: Sequence[dict[str, Any]], seed: int, alpha: float,
               partners: int, n_bases: int, n_disc: int, n_held: int,
               bounds: dict[str, list[float | None]]) -> dict[str, Any]:
    """The guidelines document of a table (format :mod:`nas_ops.guidelines_format`): a rule per
    significant cell, confirmatory (Holm) and exploratory (BH) alike (``discovery.family``
    says which); the ``guided`` policy uses the replicated ones whose condition it knows."""
    found = [c for c in cells if c.get("significant")]
    rules = sorted((_rule(c) for c in found),
                   key=lambda r: (r.discovery["family"] != "confirmatory", r.p_adjusted,
                                  r.condition, r.level, r.operator, r.output))
    tested = [c for c in cells if not math.isnan(c["discovery"].get("p_value", math.nan))]
    conf = [c for c in found if c["family"] == "confirmatory"]
    n_rep = sum(c["replicated"] for c in found)
    verdict = (f"{len(conf)} of {sum(c['family'] == 'confirmatory' for c in tested)} "
               f"confirmatory operator x objective cells significant at alpha = {alpha} (Holm, "
               f"{n_disc} discovery bases), {sum(c['replicated'] for c in conf)} replicated on "
               f"{n_held} held-out bases; {len(found) - len(conf)} exploratory condition cells "
               f"significant (BH), {n_rep - sum(c['replicated'] for c in conf)} replicated.")
    return document({
        "source": {"study": "table operator study", "table": table, "seed": seed,
                   "partners": partners},
        "method": {"unit": "base architecture: the median effect of its children per cell",
                   "effect": "child - parent on the objective as the table backend records "
                             "it; in a rule signed so that positive = better",
                   "children": "every mutation at every target with every value; crossover: "
                               f"{partners} partners per base from its own half, uniform",
                   "test": "two-sided Wilcoxon signed-rank of the per-base medians vs 0, "
                           "discovery bases",
                   "correction": "holm over the operator x objective cells (confirmatory); "
                                 "benjamini-hochberg over the condition cells (exploratory)",
                   "alpha": alpha,
                   "ci": "distribution-free 95% interval of the median of per-base medians "
                         "(order statistics)",
                   "replication": "held-out median of the same sign, interval excluding 0"},
        "verdict": verdict, "n_cells": len(cells), "n_tested": len(tested),
        "n_family": len(tested),
        "bases": {"n": n_bases, "discovery": n_disc, "held_out": n_held, "split_seed": seed},
        "replication": {"findings": len(found), "replicated": n_rep,
                        "rate": n_rep / len(found) if found else math.nan},
        "rules": [r.to_dict() for r in rules],
        "percentile_bounds": bounds,
        "versus_control": {"control": None, "method": "none: a table lookup involves no "
                           "training, so there is nothing to control for", "tested": 0,
                           "rules": [], "all": []},
        "not_significant": [{k: c[k] for k in ("family", "operator", "condition", "level",
                                               "objective", "p_adjusted")}
                            for c in tested if not c.get("significant")],
        "insufficient": [{k: c[k] for k in ("family", "operator", "condition", "level",
                                            "objective")} | {"reason": "no testable base"}
                         for c in cells if math.isnan(c["discovery"].get("p_value", math.nan))],
    })


def guidelines_text(doc: dict[str, Any]) -> str:
    return dumps(doc)


__all__ = ["ALPHA", "BINS", "OBJECTIVES", "PARTNERS", "Objective", "bin_label", "chosen_rows",
           "guidelines", "guidelines_text", "objective_values", "percentile_bins",
           "percentile_bounds",
           "plan_table", "planned_cells", "split_rows", "split_table", "study_table"]
