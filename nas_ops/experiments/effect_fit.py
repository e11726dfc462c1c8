"""Fitting and checking the effect model of the ``learned`` policy (issue 23 point 2;
the model and its features: :mod:`nas_ops.engine.policies.effects`).

Data: the exhaustive neighbourhood of table bases, enumerated here from the table with the
operators' own candidate lists (:func:`neighbourhood`): for a base, every mutation operator of
the space at every target it offers with every value it offers there, each child looked up in
the table. One *row* per (base, operator, target) holds the mean effect over that target's
values (what the policy chooses: the value is then drawn uniformly by the operator):

    {"base": table row, "operator": name, "target": node/edge id, "position": k,
     "link": link pattern index or None, "ops": [operation per position],
     "selection": the base's selection value, "effect": [mean child - parent per objective],
     "children": how many values}

Objectives (:data:`OBJECTIVES`): ``class`` (the selection metric: validation performance on
nbgraph, baseline accuracy on nb201, as the ``table`` backend records it), on nb201 also
``class.analog_accuracy`` and ``class.drift_30d_accuracy``; then ``latency_us`` (nbgraph) and
``parameters`` as log10 differences. The test column of nbgraph is never read.

Bases are split as the operator study splits them (:func:`discovery_rows`: the rows as
zero-padded uids through :func:`~nas_ops.analysis.blocks.split_bases` with ``seed``): the model
is fitted on discovery bases only (:func:`fit`, ridge least squares with numpy) and
:func:`check` reports, on held-out bases, the Spearman rank correlation of predicted and
observed ``class`` effects (over all rows, and the mean within a base over its choices) and a
calibration table (rows binned by predicted effect into deciles: mean predicted and mean
observed per bin).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nas_ops.analysis.blocks import split_bases
from nas_ops.engine.policies.effects import EffectModel, arch, feature_names
from nas_ops.evaluation.table import row_metrics
from nas_ops.experiments.table_neighbours import MUTATIONS, walk
from nas_ops.tables import Table, get_table
from nas_ops.tables import nb201 as nb201_table
from nas_ops.tables import nbgraph as nbgraph_table

OBJECTIVES = {"nbgraph": ("class", "latency_us", "parameters"),
              "nb201": ("class", "class.analog_accuracy", "class.drift_30d_accuracy",
                        "parameters")}
LOG_OBJECTIVES = ("latency_us", "parameters")
RIDGE = 1.0
BINS = 10


def split(table: str) -> tuple[str, str]:
    name, _, dataset = table.partition("/")
    return name, dataset


def objective_matrix(loaded: Table) -> np.ndarray:
    """Every row's objectives (:data:`OBJECTIVES`; log10 for latency and parameters)."""
    objs = OBJECTIVES[loaded.name]
    out = np.empty((len(loaded), len(objs)))
    for r in range(len(loaded)):
        val, _, cx = row_metrics(loaded, r)
        for j, o in enumerate(objs):
            if o in LOG_OBJECTIVES:
                out[r, j] = math.log10(max(float(cx[o]), 1.0))
            else:
                out[r, j] = val["class"][o.partition(".")[2] or "accuracy"]
    return out


def discovery_rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(discovery rows, held-out rows) of a table of ``n`` rows, as the operator study splits."""
    width = len(str(n))
    disc, held = split_bases([f"{r:0{width}d}" for r in range(n)], seed)
    return np.asarray(sorted(map(int, disc))), np.asarray(sorted(map(int, held)))


def neighbourhood(loaded: Table, row: int) -> list[tuple[str, str, list[int]]]:
    """(operator, target, the table rows of its children) for every mutation operator and
    target of the base at ``row``, every value the operator offers there: the operator's own
    decision tree (:func:`~nas_ops.experiments.table_neighbours.walk`), targets in its order."""
    from nas_ops.spaces import get_space
    from nas_ops.variation import get_operator

    space = get_space(loaded.name)
    genome = space.genome_of_key(loaded.dataset, loaded.keys[row])  # type: ignore[attr-defined]
    out = []
    for op in MUTATIONS[loaded.name]:
        kids: dict[str, list[int]] = {}
        for decisions, made in walk(get_operator(op), [genome]):
            kids.setdefault(str(decisions[0]["value"]), []).append(
                loaded.row(space.key_of(made[0])))  # type: ignore[attr-defined]
        out += [(op, t, rows) for t, rows in kids.items()]
    return out


def effect_rows(table: str, bases: Sequence[int]) -> list[dict[str, Any]]:
    """The rows (format above) of ``bases`` (table rows)."""
    from nas_ops.engine.policies.effects import position
    from nas_ops.spaces import get_space

    name, dataset = split(table)
    loaded = get_table(name, dataset)
    values = objective_matrix(loaded)
    space = get_space(name)
    out = []
    for b in bases:
        genome = space.genome_of_key(dataset, loaded.keys[b])  # type: ignore[attr-defined]
        link, ops = arch(genome)
        for op, t, kids in neighbourhood(loaded, int(b)):
            effect = (values[kids] - values[b]).mean(axis=0)
            out.append({"base": int(b), "operator": op, "target": t,
                        "position": position(genome, t), "link": link, "ops": list(ops),
                        "selection": float(values[b, 0]),
                        "effect": [round(float(e), 12) for e in effect], "children": len(kids)})
    return out


def _vocabulary(name: str, dataset: str) -> list[str]:
    return list(nbgraph_table.ops_of(dataset)) if name == "nbgraph" else list(nb201_table.OPS)


def empty_model(table: str, selection_values: np.ndarray) -> EffectModel:
    """A model of ``table`` with zero coefficients (its shape and vocabulary only)."""
    name, dataset = split(table)
    objs, mut = list(OBJECTIVES[name]), list(MUTATIONS[name])
    ops = _vocabulary(name, dataset)
    positions = 4 if name == "nbgraph" else len(nb201_table.EDGES)
    links = len(nbgraph_table.LINKS) if name == "nbgraph" else 0
    n = len(feature_names(name, mut, ops, positions, links))
    return EffectModel(table, name, objs, mut, ops, positions, links, np.zeros((n, len(objs))),
                       np.sort(np.asarray(selection_values, dtype=float)),
                       dict.fromkeys(objs, 1.0), {})


def design(model: EffectModel, rows: Sequence[dict[str, Any]]) -> np.ndarray:
    return np.asarray([model.encode(r["link"], r["ops"], r["operator"], r["position"],
                                    model.percentile(r["selection"])) for r in rows])


def fit_rows(table: str, rows: Sequence[dict[str, Any]], selection_values: np.ndarray,
             ridge: float = RIDGE, info: dict[str, Any] | None = None) -> EffectModel:
    """Ridge least squares of every objective's effect on the features of ``rows``:
    ``(X'X + ridge * I0) b = X'y``, ``I0`` the identity without the intercept's entry.
    ``selection_values``: the discovery bases' selection values (for the percentile)."""
    model = empty_model(table, selection_values)
    x = design(model, rows)
    y = np.asarray([r["effect"] for r in rows], dtype=float)
    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    model.coef = np.linalg.solve(x.T @ x + penalty, x.T @ y)
    model.effect_sd = {o: float(y[:, j].std()) for j, o in enumerate(model.objectives)}
    model.fit = {"rows": len(rows), "bases": len({r["base"] for r in rows}), "ridge": ridge,
                 **(info or {})}
    return model


def fit(table: str, *, seed: int = 0, bases: int | None = None, ridge: float = RIDGE
        ) -> tuple[EffectModel, list[dict[str, Any]]]:
    """The model of ``table`` fitted on its discovery bases (all, or ``bases`` of them drawn
    with ``numpy.random.default_rng([seed, 3])``), and those bases' rows."""
    name, dataset = split(table)
    loaded = get_table(name, dataset)
    disc, _ = discovery_rows(len(loaded), seed)
    sel = objective_matrix(loaded)[disc, 0]
    chosen = disc if bases is None or bases >= disc.size else np.sort(
        np.random.default_rng([seed, 3]).choice(disc, size=bases, replace=False))
    rows = effect_rows(table, [int(b) for b in chosen])
    info = {"seed": seed, "discovery": int(disc.size), "sha256": loaded.sha256}
    return fit_rows(table, rows, sel, ridge, info), rows


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import stats

    if a.size < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def check(model: EffectModel, rows: Sequence[dict[str, Any]], bins: int = BINS
          ) -> dict[str, Any]:
    """Held-out agreement of predicted and observed ``class`` effects over ``rows``: the
    Spearman correlation over all rows, its mean within a base (over bases with 2 or more
    choices whose effects differ), and the calibration table (equal-count bins by predicted
    effect: mean predicted, mean observed, rows)."""
    pred = model.predict(design(model, rows))[:, 0]
    obs = np.asarray([r["effect"][0] for r in rows], dtype=float)
    per_base: dict[int, list[int]] = {}
    for k, r in enumerate(rows):
        per_base.setdefault(r["base"], []).append(k)
    within = [_spearman(pred[ix], obs[ix]) for ix in per_base.values() if len(ix) > 1]
    within = [w for w in within if not math.isnan(w)]
    order = np.argsort(pred, kind="stable")
    table = []
    for part in np.array_split(order, min(bins, max(len(rows), 1))):
        if part.size:
            table.append({"predicted": float(pred[part].mean()),
                          "observed": float(obs[part].mean()), "rows": int(part.size)})
    return {"rows": len(rows), "bases": len(per_base), "spearman": _spearman(pred, obs),
            "spearman_within_base": float(np.mean(within)) if within else float("nan"),
            "bases_within": len(within), "calibration": table}


__all__ = ["BINS", "LOG_OBJECTIVES", "MUTATIONS", "OBJECTIVES", "RIDGE", "check",
           "design", "discovery_rows", "effect_rows", "empty_model", "fit", "fit_rows",
           "neighbourhood", "objective_matrix"]
