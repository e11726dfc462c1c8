"""The sections of an operator-effect report, built from an :class:`Analysis` and its figures."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from nas_ops.analysis import Analysis, CellStats, ControlComparison, Rule
from nas_ops.report.document import Code, Details, Figure, Files, Paragraph, Section, Table
from nas_ops.report.fidelity import fidelity_section
from nas_ops.report.front import front_section
from nas_ops.report.hypervolume import hypervolume_section
from nas_ops.report.lineage import best_per_output, lineage_chains
from nas_ops.report.rules import distinct_rules, exactly_zero

FigureResult = Path | str  # a PNG path relative to the report, or why it was skipped
SECTION_IDS = ("summary", "hypervolume", "front", "fidelity", "guidelines", "rates", "effects",
               "conditioned", "tests", "figures", "architectures", "lineage")
SHOWN_MIN_N = 3  # conditioned cells with fewer effects are in tables/conditioned.csv only


def _figure(result: FigureResult, caption: str, anchor: str = "") -> Figure | Paragraph:
    if isinstance(result, Path):
        return Figure(result, caption, anchor)
    return Paragraph(f"{caption}: {result}.")


def summary(a: Analysis) -> Section:
    run, meta = a.run, a.run.meta
    statuses = Counter(i.evaluation.status for i in run.evaluated() if i.evaluation)
    s = Section("summary", "Run summary")
    s.add(Paragraph(f"Run {run.run_dir} ({a.kind}), status {meta.status}, "
                    f"seed {meta.seed}: {len(run.individuals)} individuals, "
                    f"{sum(statuses.values())} evaluations (ok {statuses.get('ok', 0)}, "
                    f"duplicate {statuses.get('duplicate', 0)}, failed "
                    f"{statuses.get('failed', 0)}), {len(run.variations)} variation attempts, "
                    f"{len(a.valid_effects())} measured (variation, output) effects."))
    s.add(Paragraph(f"Analysis: effects on the {a.settings['split']} split, bootstrap "
                    f"{a.settings['n_bootstrap']} resamples (seed {a.settings['seed']}), "
                    f"alpha {a.settings['alpha']}, min support {a.settings['min_support']}."))
    s.add(Table(["component", "version"], [[k, v] for k, v in meta.versions.items()],
                "versions"))
    best = best_per_output(a)
    metric = {o.name: o.metric for o in a.outputs}
    s.add(Table(["output", "metric", "best uid", "value (val)"],
                [[o, metric[o], uid, v] for o, (uid, v) in best.items()], "best per output")
          if best else Paragraph("Best per output: insufficient data (no successful evaluation)."))
    failures = [i for i in run.evaluated() if i.evaluation and i.evaluation.status == "failed"]
    if failures:
        s.add(Table(["uid", "operator", "error"], [
            [i.uid, i.operator, (i.evaluation.error if i.evaluation else "")[:160]]
            for i in failures[:20]], f"failed evaluations ({len(failures)}, first 20)"))
    recorded = meta.config.to_dict() if meta.config is not None else {}
    s.add(Details("run configuration", [Code("\n".join(
        f"{k} = {json.dumps(v, sort_keys=True)}" for k, v in sorted(recorded.items()))
        or "(no config recorded)")]))
    return s


def rates(a: Analysis) -> Section:
    s = Section("rates", "Operator rates")
    if not a.rates:
        return s.add(Paragraph("Insufficient data: the run recorded no variation attempt."))
    s.add(Paragraph("Per operator, over every attempt: success = a child was produced; neutral = "
                    "the child has its parent's structural hash; not applicable / failed = the "
                    "variation's status; eval failed = the child's training failed."))
    s.add(Files("all rows", ["tables/rates.csv"]))
    return s.add(Details(f"rates of the {len(a.rates)} operators", [Table(
        ["operator", "family", "attempts", "success", "not appl.", "neutral", "failed",
         "eval failed", "mean cost (s)"],
        [[r.operator, r.family, r.attempts, r.success_rate, r.not_applicable_rate,
          r.neutral_rate, r.failure_rate, r.eval_failed, r.mean_cost_s] for r in a.rates])]))


_STAT_COLS = ["operator", "n", "bases", "median", "CI low", "CI high", "P(improve)",
              "Cliff's δ", "Wilcoxon p (bases)", "mean Δparams", "mean ΔFLOPs",
              "mean Δparams (output)", "mean ΔFLOPs (output)", "mean cost (s)"]


def _stat_row(c: CellStats) -> list[object]:
    return [c.operator, c.n, c.n_bases, c.median, c.ci_low, c.ci_high, c.p_improve,
            c.cliffs_delta, c.p_value, c.mean_d_parameters, c.mean_d_flops,
            c.mean_d_output_parameters, c.mean_d_output_flops, c.mean_cost_s]


def effects(a: Analysis, figs: dict[str, FigureResult]) -> Section:
    s = Section("effects", "Effects per output")
    s.add(Paragraph("Effect = child - parent on the output's primary validation metric, signed so "
                    "that positive = better (error metrics negated); against the matched control "
                    "when the study has one. The base model is the unit: median with a cluster "
                    "bootstrap 95% CI (bases, then children); Cliff's δ against no change = "
                    "P(effect>0) - P(effect<0); exact Wilcoxon signed-rank p of the per-base "
                    "medians of the log error ratio against 0. Outputs an edit cannot reach "
                    "are exactly unchanged and left out of the median and the test. "
                    "Complexity: mean child - parent parameters and forward FLOPs per sample, "
                    "of the whole model and of the output's subgraph (the networks that reach "
                    "the output)."))
    s.add(Files("all rows", ["tables/effects.csv", "tables/stats.csv", "tables/per_base.csv"]))
    for out in a.outputs:
        cells = [c for c in a.stats if c.output == out.name]
        s.add(Paragraph(f"{out.name} ({out.kind}, {out.metric}, "
                        f"{'higher' if out.higher_is_better else 'lower'} is better)"))
        if not any(c.n for c in cells):
            s.add(Paragraph(f"Insufficient data: no effect measured on {out.name}."))
            continue
        rows = [_stat_row(c) for c in cells if c.n]
        s.add(Details(f"statistics of {len(rows)} operators on {out.name}",
                      [Table(_STAT_COLS, rows)]))
        s.add(_figure(figs[f"effects_{out.name}"], f"effects of each operator on {out.name}"))
    if not a.outputs:
        s.add(Paragraph("Insufficient data: the run has no individual."))
    return s


def conditioned(a: Analysis) -> Section:
    s = Section("conditioned", "Conditioned effects")
    s.add(Paragraph("Effects split by the parent's diagnosis: relevance (low/high, median split "
                    "of the edited network's relevance for the output), worst output (the "
                    "output with the parent's lowest percentile in the run), size (median split "
                    "of parent parameters), distance (near = the edited network feeds the "
                    "output), affected (the output is reachable from the edit)."))
    s.add(Paragraph("Rows per condition level: every (child, output) effect row falls in one "
                    "level of each condition, or counts as missing when that condition does not "
                    "apply to it: relevance needs a diagnosis of the parent and an output the "
                    "edit reaches; worst output needs an evaluation of the parent; distance "
                    "needs an edited network that reaches the output. A missing row takes no "
                    "part in that condition's cells; it still counts in the effects above."))
    s.add(Table(["condition", "rows per level", "missing"], [
        [name, ", ".join(f"{level} {n}" for level, n in counts.items() if level != "missing"),
         counts.get("missing", 0)]
        for name, counts in a.coverage.items()], "rows per condition level"))
    if not any(metric == "relevance" for *_, metric, _ in a.run.diagnoses):
        s.add(Paragraph("Relevance: insufficient data (no diagnosis of the parents in this run; "
                        "a study diagnoses its base models, a search with "
                        "evaluation.diagnose = true diagnoses every model)."))
    s.add(Files("all cells", ["tables/conditioned.csv"]))
    supported = [c for c in a.conditioned if c.n >= SHOWN_MIN_N]
    shown = [c for c in supported if not exactly_zero(c)]
    if not shown:
        return s.add(Paragraph(f"Insufficient data: no condition cell has n >= {SHOWN_MIN_N} "
                               "and a non-zero effect."))
    dropped = len(supported) - len(shown)
    return s.add(Details(
        f"{len(shown)} cells with n >= {SHOWN_MIN_N} ({dropped} cells whose every effect is "
        "exactly 0, such as outputs the edit cannot reach, left out)",
        [Table(["condition", "level", "output", *_STAT_COLS],
               [[c.condition, c.level, c.output, *_stat_row(c)] for c in shown])]))


def tests(a: Analysis) -> Section:
    s = Section("tests", "Statistical tests")
    s.add(Paragraph("Descriptive only: these tests treat every child as independent, which "
                    "children of one base model are not; no guideline rests on them (the "
                    "guidelines test per-base summaries)."))
    s.add(Table(["output", "operators compared", "H", "p"],
                [[k.output, len(k.operators), k.h, k.p_value] for k in a.kruskal],
                "Kruskal-Wallis across operators with >= 2 effects")
          if a.kruskal else Paragraph("Kruskal-Wallis: insufficient data."))
    alpha = a.settings["alpha"]
    sig = [p for p in a.pairwise if p.p_adjusted < alpha]
    s.add(Paragraph(f"Pairwise two-sided Mann-Whitney U tests: {len(a.pairwise)} pairs, "
                    f"{len(sig)} significant at alpha {alpha} after Holm correction within each "
                    "output."))
    s.add(Files("all pairs", ["tables/kruskal.csv", "tables/pairwise.csv"]))
    if sig:
        s.add(Details(f"the {len(sig)} significant pairs", [Table(
            ["output", "a", "b", "n a", "n b", "U", "p", "Holm p"],
            [[p.output, p.a, p.b, p.n_a, p.n_b, p.u, p.p_value, p.p_adjusted] for p in sig])]))
    return s


def _search_terms(text: str) -> str:
    """A study's words for the unit of replication, in a search's: its parents."""
    return text.replace("base model(s)", "parent model(s)").replace("bases", "parents") \
        .replace("base models", "parent models")


def guidelines(a: Analysis) -> Section:
    g = a.guidelines
    s = Section("guidelines", "Guidelines")
    search = a.kind != "study"

    def words(text: str) -> str:
        return _search_terms(text) if search else text

    if search:
        s.add(Paragraph("This run is a search: its guidelines treat each parent as the unit of "
                        "replication (a study's base model), and its children as that parent's "
                        "variations. A search's parents are chosen by selection, not sampled, "
                        "and few have many children, so rules from a search are weaker evidence "
                        "than a study's (docs/study-design.md); `nas-ops study` is built for "
                        "them."))
    s.add(Paragraph(words(g.verdict)))
    b = g.bases
    if b.get("n"):
        chance = len(b.get("at_chance", []))
        unit = "parent model(s)" if search else "base model(s)"
        converged = "" if search else f"; {b.get('converged', 0)} recorded as converged"
        s.add(Paragraph(f"{b['n']} {unit}, {chance} at chance level "
                        f"({'kept: allow_untrained' if b.get('allow_untrained') else 'left out'}); "
                        f"{len(b.get('discovery', []))} for discovery, "
                        f"{len(b.get('held_out', []))} held out{converged}."))
    rules = distinct_rules(g.rules)
    if rules:
        s.add(Paragraph(f"{len(rules)} distinct rule(s); a rule whose evidence is the same "
                        "sample under several conditions is listed once with all of them."))
        rep = g.replication
        s.add(Paragraph(words(f"Replication: {rep['replicated']} of {rep['findings']} "
                              "finding(s) derived on the discovery half of the bases hold on "
                              "the held-out half (same sign, interval excluding 0).")))
        s.add(_rules_table(rules, "Holm p"))
        s.add(Paragraph("Each rule holds for the retraining budget and parent state it was "
                        "measured at: child steps and their share of the parent's steps "
                        "(medians over its children), and its parents' state (converged by "
                        "early stopping / stopped at the training cap / not recorded)."))
    fam = g.families
    if fam:
        c, e = fam.get("confirmatory", {}), fam.get("exploratory", {})
        s.add(Paragraph(words(
            f"Multiple testing: the confirmatory family is {c.get('size', 0)} cell(s) "
            f"({c.get('cells', '')}), {c.get('correction', '')} at alpha {g.alpha}: "
            f"{c.get('findings', 0)} finding(s). The exploratory family is {e.get('size', 0)} "
            f"cell(s) ({e.get('cells', '')}), {e.get('correction', '')} at q {g.alpha}: "
            f"{e.get('findings', 0)} finding(s), hypotheses rather than rules.")))
    if g.exploratory:
        s.add(Details(f"{len(g.exploratory)} exploratory finding(s)",
                      [_rules_table(distinct_rules(g.exploratory), "BH q")]))
    if g.versus_control:
        s.add(Paragraph(f"Against retraining alone (the study's control arm): "
                        f"{len(g.control_rules)} of {len(g.versus_control)} operator x output "
                        "pairs differ significantly (Wilcoxon over bases of per-base median "
                        "differences, Holm in the confirmatory family)."))
        if g.control_rules:
            s.add(_control_table(g.control_rules))
        s.add(Details(f"all {len(g.versus_control)} comparisons with the control",
                      [_control_table(g.versus_control)]))
    s.add(Paragraph(f"{len(g.insufficient)} cell(s) with insufficient evidence, "
                    f"{len(g.not_significant)} tested but not significant."))
    return s.add(Files("machine-readable", ["guidelines.json", "guidelines.txt",
                                            "tables/guideline_rules.csv",
                                            "tables/versus_control.csv"]))


def _rules_table(rules: list[tuple[str, Rule]], adjusted: str) -> Table:
    def state(r: Rule) -> str:
        p = r.regime.get("parents", {})
        return (f"{p.get('converged', 0)} / {p.get('capped', 0)} / {p.get('unknown', 0)}"
                if p else "")

    return Table(["when", "operator", "output", "direction", "median", "CI low", "CI high",
                  "against", "discovery p", adjusted, "n", "bases", "replicated",
                  "held-out median", "Δparams (median)", "child steps (median)",
                  "child / parent steps", "parents converged / capped / unknown"],
                 [[when, r.operator, r.output, r.direction, r.expected_effect, r.ci[0],
                   r.ci[1], r.against, r.p_value, r.p_adjusted, r.support, r.n_bases,
                   "yes" if r.replicated else "no", r.replication.get("median"),
                   r.complexity_cost, r.regime.get("child_steps", {}).get("median"),
                   r.regime.get("step_ratio", {}).get("median"), state(r)]
                  for when, r in rules])


def _control_table(rows: list[ControlComparison]) -> Table:
    return Table(["operator", "output", "median - control median", "CI low", "CI high", "p",
                  "Holm p", "n", "n control", "bases", "replicated"],
                 [[c.operator, c.output, c.median_difference, c.ci[0], c.ci[1], c.p_value,
                   c.p_adjusted, c.n, c.n_control, c.n_bases,
                   "yes" if c.replicated else "no"] for c in rows])


def figures(figs: dict[str, FigureResult]) -> Section:
    s = Section("figures", "Figures")
    s.add(_figure(figs["effect_vs_complexity"], "effect against parameter change"))
    s.add(_figure(figs["operator_usage"], "operator usage and outcome per generation"))
    s.add(_figure(figs["pareto"], "objectives of every evaluated model, each pair of "
                  "objectives (generation coloured; red rings: non-dominated models of the final "
                  "population; the front of every evaluated model is listed under Pareto "
                  "front)"))
    return s


def architectures(a: Analysis, figs: dict[str, FigureResult]) -> Section:
    s = Section("architectures", "Best architectures")
    views = [k for k in figs if k.startswith("architecture_")]
    if not views:
        return s.add(Paragraph("Insufficient data: no successfully evaluated model."))
    s.add(Paragraph("The best model of each output as a graph: inputs, networks (kind, hidden "
                    "layers as units + activation, +bn = batch norm, +doP = dropout P; output "
                    "width and parameters), outputs. Genomes: the run's ledger."))
    return s.add(*[_figure(figs[k], k.removeprefix("architecture_").join(
        ("best model for ", "")), anchor=k) for k in views])


def lineage(a: Analysis, figs: dict[str, FigureResult]) -> Section:
    s = Section("lineage", "Lineage of the best models")
    chains = lineage_chains(a)
    if not chains:
        return s.add(Paragraph("Insufficient data: no successfully evaluated model."))
    s.add(Table(["output", "best", "value", "first-parent chain"], chains))
    return s.add(_figure(figs["lineage"], "ancestors of the best model per output"))


def all_sections(a: Analysis, figs: dict[str, FigureResult]) -> Sequence[Section]:
    return [summary(a), hypervolume_section(a.run, figs["hypervolume"]), front_section(a, figs),
            fidelity_section(a.run),
            guidelines(a), rates(a), effects(a, figs), conditioned(a), tests(a), figures(figs),
            architectures(a, figs), lineage(a, figs)]
