"""The regime a finding holds for: the children's retraining budget and their parents' state.

An effect measured after a short retraining of a parent need not hold after a longer one, nor
for a parent in another state: the science review (issue 24) found that children trained about
5 % of their base's steps and that most bases hit their epoch cap. So every rule states, from
what the ledger records (:func:`regime`):

- ``child_budget``: the run's training budget of a child: ``epochs`` (``[budget] epochs``),
  ``max_steps`` (0 = no cap), ``retrain`` (which networks train again) and
  ``inherit_weights``;
- ``child_steps``, ``parent_steps``: the optimizer steps of the finding's tested children and
  of their parents, as their evaluations record them (median and quartiles; parents counted
  once each);
- ``step_ratio``: per child, child steps / its parent's steps (median and quartiles);
- ``parents``: how many of the finding's parents ``converged`` (early stopping ended their
  training before the cap), were ``capped`` (trained to the cap: ``[study] base_max_epochs``
  epochs, ``base_max_steps`` steps) or are ``unknown`` (no ``meta.bases`` entry, e.g. the
  parents of a search); ``patience``, ``max_epochs``, ``max_steps``: the study's base training
  (absent outside a study). With ``base_patience = 0`` no base stops early: all are capped
  at ``[budget]``;
- ``not_recorded``: what the ledger does not say (:data:`NOT_RECORDED`).

A rule's text says it in one clause (:func:`nas_ops.guidelines_format.regime_text`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nas_ops.analysis.rows import EffectRow
from nas_ops.config import RunConfig

NOT_RECORDED = ("a parent's epochs (only its steps: an epoch's steps depend on the genome's "
                "batch size); the optimizer state (every evaluation builds a fresh optimizer "
                "and the ledger keeps weights only); for a parent that is itself a child, the "
                "training its inherited weights had before its own evaluation")


def _quartiles(values: Sequence[float]) -> dict[str, float]:
    x = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if not x.size:
        return {"median": math.nan, "q1": math.nan, "q3": math.nan, "n": 0}
    q1, med, q3 = (float(v) for v in np.percentile(x, [25, 50, 75]))
    return {"median": med, "q1": q1, "q3": q3, "n": int(x.size)}


def training_config(config: RunConfig, study: bool) -> dict[str, Any]:
    """What a run's config says about the training of children, and (``study``: the run is a
    study) of its base models."""
    b, e, s = config.budget, config.evaluation, config.study
    out: dict[str, Any] = {"epochs": b.epochs, "max_steps": b.max_steps, "retrain": e.retrain,
                           "inherit_weights": e.inherit_weights}
    if study:
        out["base"] = {"patience": s.base_patience, "max_epochs": s.base_max_epochs,
                       "max_steps": s.base_max_steps}
    return out


def regime(rows: Sequence[EffectRow], status: Mapping[str, Mapping[str, Any]],
           training: Mapping[str, Any]) -> dict[str, Any]:
    """The regime of a finding whose tested rows are ``rows`` (module docstring); ``status``:
    :func:`nas_ops.analysis.bases.base_status`, ``training``: :func:`training_config`."""
    children = {r.child: r for r in rows}.values()
    parents = {r.parent: r.parent_steps for r in rows}
    counts = {"converged": 0, "capped": 0, "unknown": 0}
    for p in parents:
        state = status.get(p, {})
        converged = state.get("converged") if state.get("source", "meta") == "meta" else None
        counts["unknown" if converged is None else "converged" if converged else "capped"] += 1
    base = dict(training.get("base", {}))
    return {"child_budget": {k: training[k] for k in ("epochs", "max_steps", "retrain",
                                                      "inherit_weights") if k in training},
            "child_steps": _quartiles([r.child_steps for r in children]),
            "parent_steps": _quartiles(list(parents.values())),
            "step_ratio": _quartiles([r.child_steps / r.parent_steps for r in children
                                      if r.parent_steps > 0]),
            "parents": {**counts, **base},
            "not_recorded": NOT_RECORDED}
