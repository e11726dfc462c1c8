"""The hypervolume section of a run's report: the curve the ledger holds (``Run.hypervolume``,
computed while the run searched) over evaluations and over training steps."""

from __future__ import annotations

from pathlib import Path

from nas_ops.report.document import Figure, Paragraph, Section, Table
from nas_ops.report.plotting import pyplot
from nas_ops.store.run import Run

DPI = 80


def hypervolume_figure(run: Run, fig_dir: Path) -> Path | str:
    """Two panels: the hypervolume after every evaluation, and against the training steps spent
    so far; or why the figure was skipped (a study, which samples variations of base models
    and searches no front, gets none)."""
    curve = run.hypervolume
    if run.meta.kind == "study":
        return "not drawn for a study: it samples variations of its base models rather than " \
            "searching, so its hypervolume does not measure progress (the non-dominated models " \
            "it evaluated are listed under Pareto front)"
    if not curve:
        return "insufficient data: the run recorded no evaluation"
    plt = pyplot()
    fig, (by_evals, by_steps) = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    values = [p.value for p in curve]
    by_evals.step([p.evals_done for p in curve], values, where="post", color="tab:blue")
    by_evals.set_xlabel("evaluations")
    by_evals.set_ylabel("hypervolume")
    by_steps.step([p.steps_done for p in curve], values, where="post", color="tab:green")
    by_steps.set_xlabel("training steps (optimizer steps, cumulative)")
    for ax in (by_evals, by_steps):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path = fig_dir / "hypervolume.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def hypervolume_section(run: Run, figure: Path | str) -> Section:
    s = Section("hypervolume", "Hypervolume")
    curve = run.hypervolume
    if not curve:
        return s.add(Paragraph("Insufficient data: the run recorded no evaluation."))
    if run.meta.kind == "study":
        return s.add(Paragraph(f"Hypervolume {figure}."))
    ref = run.hv_reference()
    recorded = "recorded when the run started" if run.meta.hv_reference is not None else \
        "the default for its objectives (the ledger predates schema 4)"
    s.add(Paragraph(
        "Hypervolume of everything evaluated so far, after every evaluation, over the objectives "
        "turned into ones to minimise (accuracy as class error 1 - accuracy, parameters and "
        "FLOPs as log10), against the reference point "
        f"({', '.join(f'{n} {v:g}' for n, v in zip(ref.names, ref.point, strict=True))}), "
        f"{recorded}. Points outside the reference box add nothing."))
    last = curve[-1]
    first_best = next(p for p in curve if p.value == last.value)
    s.add(Table(["evaluations", "training steps", "final hypervolume",
                 "reached at evaluation", "reached at step"],
                [[last.evals_done, last.steps_done, last.value, first_best.evals_done,
                  first_best.steps_done]], "hypervolume at the end of the run"))
    if isinstance(figure, Path):
        return s.add(Figure(figure, "hypervolume over evaluations (left) and over training "
                                    "steps (right)"))
    return s.add(Paragraph(f"hypervolume curve: {figure}."))
