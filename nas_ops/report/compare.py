"""Rendering a :class:`~nas_ops.analysis.compare.Comparison`: ``index.html`` (self-contained),
``report.md``, ``compare.json`` and the PNG figures, written into an existing empty directory."""

from __future__ import annotations

import json
import math
from pathlib import Path

from nas_ops.analysis.compare import Comparison
from nas_ops.report.document import Figure, Paragraph, Section, Table, to_html, to_markdown
from nas_ops.report.plotting import pyplot

DPI = 80


def curves_figure(cmp: Comparison, path: Path) -> Path:
    """Median hypervolume per policy along the common training steps, with the interquartile
    band across seeds."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, policy in enumerate(cmp.policies):
        band, color = cmp.bands[policy], f"C{k}"
        n = sum(r.policy == policy for r in cmp.runs)
        ax.plot(cmp.grid, band["median"], color=color, label=f"{policy} (median of {n})")
        ax.fill_between(cmp.grid, band["q1"], band["q3"], color=color, alpha=0.2)
    ax.set_xlabel("training steps (optimizer steps, cumulative)")
    ax.set_ylabel("hypervolume")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def finals_figure(cmp: Comparison, path: Path) -> Path:
    """Final hypervolume at the common budget, one point per seed, seeds joined across
    policies."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.5 + 1.6 * len(cmp.policies), 3.5))
    finals = cmp.measures["final"]
    seeds = sorted({s for by_seed in finals.values() for s in by_seed})
    for s in seeds:
        xs = [k for k, p in enumerate(cmp.policies) if s in finals[p]]
        ax.plot(xs, [finals[cmp.policies[k]][s] for k in xs], color="grey", alpha=0.5,
                marker="o", lw=0.8)
    ax.set_xticks(range(len(cmp.policies)), cmp.policies)
    ax.set_xlim(-0.5, len(cmp.policies) - 0.5)
    ax.set_ylabel(f"hypervolume at {cmp.budget} steps")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _sections(cmp: Comparison, figures: dict[str, Path]) -> list[Section]:
    verdict = Section("verdict", "Verdict").add(Paragraph(cmp.verdict))
    spent = Section("budget", "What each run spent")
    spent.add(Paragraph(f"Every run is compared at {cmp.budget} training steps (optimizer "
                        "steps), the fewest any run spent; the table gives what each spent and "
                        "what ended it. Runs of one seed start from the same initial population "
                        "(same fingerprint of its genomes), so they are paired."))
    spent.add(Table(["policy", "seed", "evaluations", "training steps spent", "stopped by",
                     "initial population", f"hypervolume at {cmp.budget} steps",
                     "area under the curve", "run"],
                    [[r.policy, r.seed, len(r.steps), r.steps_spent, r.stopped_by or "n/a",
                      r.initial or "n/a", cmp.measures["final"][r.policy][r.seed],
                      cmp.measures["auc"][r.policy][r.seed], r.run_dir]
                     for r in sorted(cmp.runs, key=lambda r: (r.policy, r.seed))]))
    curves = Section("curves", "Hypervolume curves").add(
        Figure(figures["curves"], "median hypervolume per policy (interquartile band across "
                                  "seeds) over training steps"),
        Figure(figures["finals"], "hypervolume at the common budget, each seed's runs joined"))
    tests = Section("tests", "Paired tests")
    tests.add(Paragraph("Per pair of policies, over the seeds both ran: difference second - "
                        "first, exact two-sided Wilcoxon signed-rank test, Holm over the policy "
                        "pairs; final = hypervolume at the common budget, auc = its mean over "
                        "[0, budget] steps; interval: 95 % percentile bootstrap over seeds. "
                        "Detectable: the difference these seeds find with 80 % power at Holm's "
                        "strictest level (0.05 / pairs), given the SD of the paired differences "
                        "(noncentral t with Wilcoxon's efficiency 3/pi; inf: the exact test "
                        "cannot reach that level with so few seeds)."))
    tests.add(Table(["measure", "first", "second", "seeds", "mean difference", "relative",
                     "CI low", "CI high", "Wilcoxon p", "Holm p", "SD of differences",
                     "detectable (80 % power)"],
                    [[t.measure, t.a, t.b, len(t.seeds), t.mean_difference,
                      f"{t.relative * 100:+.1f} %" if math.isfinite(t.relative) else "n/a",
                      t.ci_low, t.ci_high, t.p_value, t.p_holm, t.sd_difference, t.detectable]
                     for t in cmp.tests]))
    usage = Section("usage", "Operator usage per policy")
    speed = _speedup_section(cmp)
    ops = sorted({op for u in cmp.usage.values() for op in u})
    usage.add(Table(["operator", *cmp.policies],
                    [[op, *(f"{cmp.usage[p].get(op, 0.0) * 100:.1f} %" for p in cmp.policies)]
                     for op in ops], "share of each policy's children made by each operator"))
    return [verdict, *([speed] if speed else []), curves, tests, spent, usage]


def _steps(x: float) -> str | float:
    return f"{x:.0f}" if math.isfinite(x) else "not reached"


def _speedup_section(cmp: Comparison) -> Section | None:
    """Steps to reach the reference's final hypervolume, per arm: the summary across seeds and
    every seed's steps."""
    if cmp.reference_arm is None:
        return None
    ref, share = cmp.reference_arm, cmp.speedup_share
    what = (f"{ref}'s final hypervolume" if share is None else
            f"{share:.0%} of the smaller final hypervolume")
    target = (f"the final hypervolume of {ref}'s run of that seed" if share is None else
              f"{share:.0%} of the smaller of the two runs' final hypervolumes of that seed "
              "(symmetric: both runs reach it)")
    sec = Section("speedup", f"Training steps to reach {what}")
    sec.add(Paragraph(f"Per seed, the target is {target}; a run reaches it after the first "
                      "evaluation that brings its hypervolume to at least the target (training "
                      "steps cumulative). "
                      f"Speed-up = {ref}'s steps / the arm's steps (0: never reached). Interval: "
                      "95 % percentile bootstrap of the median over seeds."))
    sec.add(Table(["arm", "seeds", "reached", "median speed-up", "CI low", "CI high", "q1",
                   "q3", "min", "max"],
                  [[s.arm, len(s.seeds), s.reached, s.median, s.ci_low, s.ci_high, s.q1, s.q3,
                    s.low, s.high] for s in cmp.speedups]))
    sec.add(Table(["arm", "seed", "target hypervolume", f"{ref} steps", "arm steps",
                   "speed-up"],
                  [[s.arm, seed, t, _steps(b), _steps(a), r]
                   for s in cmp.speedups
                   for seed, t, b, a, r in zip(s.seeds, s.targets, s.reference_steps,
                                               s.arm_steps, s.ratios, strict=True)]))
    return sec


def render_comparison(cmp: Comparison, root: Path) -> Path:
    """Write the comparison into the existing empty directory ``root``; returns index.html."""
    (root / "figures").mkdir()
    figures = {"curves": curves_figure(cmp, root / "figures" / "curves.png"),
               "finals": finals_figure(cmp, root / "figures" / "finals.png")}
    sections = _sections(cmp, {k: v.relative_to(root) for k, v in figures.items()})
    title = f"nas-ops comparison: {', '.join(cmp.policies)}"
    (root / "compare.json").write_text(json.dumps(cmp.to_dict(), indent=1, sort_keys=True)
                                       + "\n")
    (root / "report.md").write_text(to_markdown(title, sections))
    (root / "index.html").write_text(to_html(title, sections, root))
    return root / "index.html"
