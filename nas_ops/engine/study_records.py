"""What a study records about its design in the ledger's meta table (read by the analysis).

- ``bases``: ``{uid: {"converged": bool, "steps": int, "chance_level": bool}}`` for every base
  model that trained (a failed base has no children and no entry). ``converged``: early stopping
  ended its training before the step cap (always false when ``[study] base_patience = 0``);
  ``steps``: optimizer steps it ran; ``chance_level``: some classification output's validation
  accuracy is not above chance (:func:`nas_ops.analysis.bases.at_chance`).
- ``applicability``: ``{base uid: {operator: n_applied}}``, the edit children each operator gave
  each base (0 where every attempt was not applicable), for every operator of the study.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nas_ops.analysis.bases import at_chance as at_chance_level
from nas_ops.engine.individuals import Candidate
from nas_ops.tasks import Task
from nas_ops.training import Budget


def at_chance(cand: Candidate, task: Task) -> bool:
    """Whether some classification output of ``cand`` (evaluated) is at chance on validation."""
    assert cand.record is not None
    n = len(task.val)
    return any(at_chance_level(cand.record.val[spec.name]["accuracy"], spec.size, n)
               for spec in task.outputs if spec.kind == "classification")


def bases_meta(bases: Iterable[Candidate], task: Task, budget: Budget | None) -> dict[str, Any]:
    """The ``bases`` meta entry; ``budget``: the base models' early-stopping budget (``None``:
    no early stopping, nothing converged)."""
    out: dict[str, Any] = {}
    for base in bases:
        if base.record is None or not base.record.ok:
            continue
        cap = (budget.step_cap(len(task.train), base.genome.hyper.batch_size)
               if budget is not None else None)
        out[base.uid] = {"converged": cap is not None and base.record.steps < cap,
                         "steps": base.record.steps, "chance_level": at_chance(base, task)}
    return out


def no_children_note(n_bases: int) -> str:
    """Why a study bred no child: every base model that trained is at chance level."""
    return (f"no children were bred: all {n_bases} trained base models are at chance level, and "
            "a study varies such bases only with [study] children_at_chance = true (or train "
            "them longer: [budget] epochs, [study] base_patience)")


def convergence_line(meta: dict[str, Any], n_bases: int) -> str:
    """One line for the progress display: how many bases converged and how many are at chance."""
    converged = sum(v["converged"] for v in meta.values())
    chance = sum(v["chance_level"] for v in meta.values())
    return (f"base models: {len(meta)}/{n_bases} trained, {converged} converged (early stopping), "
            f"{chance} at chance level")
