"""The report's fidelity section (docs/fidelity.md): for a run with rungs, per generation how
many children stopped at each rung and the training steps spent at each rung, and every
evaluation with its rung and fidelity."""

from __future__ import annotations

from collections import Counter

from nas_ops.evaluation.records import EvalRecord
from nas_ops.fidelity import parse_fidelity
from nas_ops.report.document import Details, Paragraph, Section, Table
from nas_ops.store.run import Individual, Run


def _rows(ind: Individual) -> list[EvalRecord]:
    """Every ledger row of ``ind``: its rung rows, then its own (absent when it stopped)."""
    ev = ind.evaluation
    return [*ind.rungs, *([ev] if ev is not None and ev.uid == ind.uid else [])]


def rung_rows(run: Run, n_rungs: int) -> list[list[object]]:
    """One row per generation of children: generation, children, duplicates, failed, children
    whose last evaluation is at rung k (k = 0 .. n_rungs - 1), steps spent at rung k."""
    rows: dict[int, list[int]] = {}
    for ind in run.individuals:
        if ind.generation == 0 or ind.evaluation is None:
            continue
        row = rows.setdefault(ind.generation, [0] * (3 + 2 * n_rungs))
        row[0] += 1
        ev = ind.evaluation
        if ev.status == "duplicate":
            row[1] += 1
            continue
        row[2] += ev.status == "failed"
        row[3 + ev.rung] += 1
        for rec in _rows(ind):
            row[3 + n_rungs + rec.rung] += rec.steps
    return [[g, *row] for g, row in sorted(rows.items())]


def fidelity_section(run: Run) -> Section:
    s = Section("fidelity", "Fidelity")
    table = run.config.get("search", {}).get("fidelity") or {}
    fid = parse_fidelity(table) if run.meta.get("kind") != "study" else None
    if fid is None:
        return s.add(Paragraph("Every evaluation trained to the full budget (fidelity 1.0): the "
                               "run has no rungs ([search] fidelity)."))
    n = len(fid.rungs)
    select = "stopped children enter selection too" if fid.stopped_select else \
        "only children trained to the full budget enter selection"
    s.add(Paragraph(
        f"Rungs at {', '.join(f'{r:g}' for r in fid.rungs)} of the full training budget; "
        f"{fid.keep:g} of each rung's children go on to the next ({select}). Per "
        "generation: the children that stopped at each rung (the last rung: trained to the "
        "full budget; a failed child counts at the rung it failed at; duplicates copy an "
        "earlier result and train nothing), and the optimizer steps spent at each rung (every "
        "rung row's own steps)."))
    rungs = [f"rung {k} ({r:g})" for k, r in enumerate(fid.rungs)]
    s.add(Table(["generation", "children", "duplicates", "failed",
                 *(f"stopped at {r}" if k < n - 1 else f"finished {r}"
                   for k, r in enumerate(rungs)),
                 *(f"steps at {r}" for r in rungs)],
                rung_rows(run, n), "children per rung and steps per rung, per generation"))
    evals = [(ind, rec) for ind in run.individuals for rec in _rows(ind)]
    count = Counter(rec.fidelity for _, rec in evals if rec.status != "duplicate")
    s.add(Paragraph("Training runs per fidelity: " + ", ".join(
        f"{c} at {f:g}" for f, c in sorted(count.items())) + "."))
    s.add(Details(f"every evaluation with its fidelity ({len(evals)} rows)", [Table(
        ["evaluation", "individual", "generation", "rung", "fidelity", "steps", "status"],
        [[rec.uid, ind.uid, ind.generation, rec.rung, rec.fidelity, rec.steps, rec.status]
         for ind, rec in evals])]))
    return s
