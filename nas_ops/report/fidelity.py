"""The report's fidelity section (docs/fidelity.md): for a run with rungs, per generation how
many children stopped at each rung and the training steps spent at each rung, for the median
rule how many it stopped per generation and rung and how large the history was, and every
evaluation with its rung and fidelity."""

from __future__ import annotations

from collections import Counter

from nas_ops.fidelity import FidelityConfig
from nas_ops.records import EvalRecord
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


def median_rows(run: Run, fid: FidelityConfig) -> list[list[object]]:
    """Rule "median": one row per generation and rung below the last: generation, rung, children
    decided there (a successful evaluation at the rung), children the rule stopped there, and the
    smallest and largest history a decision's median was taken over. Generational: each child of
    generation g sees the successful results at the rung of the generations before g and the
    other ones of g; aging: those of every child created before it."""
    children = sorted((i for i in run.individuals if i.generation > 0),
                      key=lambda i: (i.generation, i.slot))
    aging = run.config.search.algorithm == "aging"
    rows: list[list[object]] = []
    for rung in range(fid.last):
        seen = 0  # successful results at the rung of the generations before
        for gen in sorted({i.generation for i in children}):
            mine = [i for i in children if i.generation == gen and len(i.rungs) > rung
                    and i.rungs[rung].status == "ok"]
            if not mine:
                continue
            sizes = [seen + k for k in range(len(mine))] if aging else [seen + len(mine) - 1]
            stopped = sum(i.evaluation is not None and i.evaluation.rung == rung for i in mine)
            rows.append([gen, rung, len(mine), stopped, min(sizes), max(sizes)])
            seen += len(mine)
    return rows


def fidelity_section(run: Run) -> Section:
    s = Section("fidelity", "Fidelity")
    fid = run.config.search.fidelity
    if run.meta.kind == "study" or not fid.enabled:
        return s.add(Paragraph("Every evaluation trained to the full budget (fidelity 1.0): the "
                               "run has no rungs ([search] fidelity)."))
    n = len(fid.rungs)
    select = "stopped children enter selection too" if fid.stopped_select else \
        "only children trained to the full budget enter selection"
    rule = f"{fid.keep:g} of each rung's children go on to the next ({select})" \
        if fid.rule == "halving" else (
            "a child stops at a rung below the last when its primary validation metric is "
            "strictly worse than the median of the rung's history on every output, once that "
            f"history holds at least {fid.min_history} results (rule median, after Optuna's "
            f"MedianPruner); {select}")
    s.add(Paragraph(
        f"Rungs at {', '.join(f'{r:g}' for r in fid.rungs)} of the full training budget; "
        f"{rule}. Per "
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
    if fid.rule == "median":
        s.add(Table(["generation", "rung", "decided", "stopped by the median rule",
                     "history (smallest)", "history (largest)"], median_rows(run, fid),
                    "the median rule per generation and rung: children with a successful "
                    "result at the rung, those it stopped, and how many earlier results each "
                    "decision's median was over"))
    evals = [(ind, rec) for ind in run.individuals for rec in _rows(ind)]
    count = Counter(rec.fidelity for _, rec in evals if rec.status != "duplicate")
    s.add(Paragraph("Training runs per fidelity: " + ", ".join(
        f"{c} at {f:g}" for f, c in sorted(count.items())) + "."))
    s.add(Details(f"every evaluation with its fidelity ({len(evals)} rows)", [Table(
        ["evaluation", "individual", "generation", "rung", "fidelity", "steps", "status"],
        [[rec.uid, ind.uid, ind.generation, rec.rung, rec.fidelity, rec.steps, rec.status]
         for ind, rec in evals])]))
    return s
