"""Operator-effect analysis of a run: effects, statistics, conditioned statistics, guidelines.

Compute only: every result is a plain dataclass or a list of them; :mod:`nas_ops.report`
renders them. ``analyze_run(RUN_DIR)`` is the entry point.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nas_ops.analysis.baseline import CONTROL, ControlComparison
from nas_ops.analysis.bases import base_status
from nas_ops.analysis.conditions import CONDITIONS, condition_stats, coverage
from nas_ops.analysis.effects import (
    EffectRow,
    OperatorRates,
    OutputInfo,
    effect_rows,
    operator_rates,
    run_outputs,
)
from nas_ops.analysis.guidelines import ALPHA, MIN_SUPPORT, Guidelines, derive_guidelines
from nas_ops.analysis.regime import training_config
from nas_ops.analysis.statistics import (
    N_BOOTSTRAP,
    BaseSummary,
    CellStats,
    KruskalResult,
    PairwiseResult,
    base_summaries,
    holm,
    kruskal_tests,
    operator_stats,
    pairwise_tests,
)
from nas_ops.guidelines_format import Rule
from nas_ops.store.run import Run, load_run

__all__ = [
    "ALPHA", "CONDITIONS", "CONTROL", "MIN_SUPPORT", "N_BOOTSTRAP", "Analysis", "BaseSummary",
    "CellStats", "base_summaries",
    "ControlComparison", "EffectRow", "base_status",
    "Guidelines", "KruskalResult", "OperatorRates", "OutputInfo", "PairwiseResult", "Rule",
    "analyze_run", "condition_stats", "coverage", "derive_guidelines", "effect_rows", "holm",
    "kruskal_tests", "operator_rates", "operator_stats", "pairwise_tests", "run_outputs",
    "stage_timer",
]


@dataclass
class Analysis:
    """Every table of the operator-effect analysis of one run."""

    run: Run
    outputs: list[OutputInfo]
    effects: list[EffectRow]
    rates: list[OperatorRates]
    stats: list[CellStats]
    conditioned: list[CellStats]
    coverage: dict[str, dict[str, int]]
    kruskal: list[KruskalResult]
    pairwise: list[PairwiseResult]
    guidelines: Guidelines
    settings: dict[str, Any] = field(default_factory=dict)
    per_base: list[BaseSummary] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.run.meta.kind

    def valid_effects(self) -> list[EffectRow]:
        return [r for r in self.effects if not math.isnan(r.effect)]


def analyze_run(run_or_dir: Run | str | Path, *, seed: int = 0, alpha: float = ALPHA,
                min_support: int = MIN_SUPPORT, split: str = "val",
                allow_untrained: bool = False,
                progress: Callable[[str], None] | None = None) -> Analysis:
    """Analyse a run (or its directory). ``seed`` seeds the bootstrap and the discovery /
    held-out split of the bases; ``alpha`` and ``min_support`` govern the guidelines; ``split``
    is the metrics split (val or test); ``allow_untrained`` lets bases at chance level count;
    ``progress`` gets one line per stage, with the seconds elapsed."""
    say = stage_timer(progress)
    run = run_or_dir if isinstance(run_or_dir, Run) else load_run(run_or_dir)
    say(f"read {len(run.individuals)} individuals and {len(run.variations)} variations")
    outputs = run_outputs(run)
    rows = effect_rows(run, outputs, split)
    say(f"{len(rows)} effect rows (operator x output); bootstrapping their statistics")
    stats = operator_stats(rows, seed)
    conditioned = condition_stats(rows, seed)
    say("operator and conditioned statistics done; deriving guidelines")
    source = {"run_dir": str(run.run_dir), "kind": run.meta.kind,
              "seed": run.meta.seed, "versions": run.meta.versions,
              "split": split, "n_effect_rows": len(rows)}
    status = base_status(run, outputs, {r.base for r in rows}, split)
    guidelines = derive_guidelines(rows, alpha, min_support, source, seed=seed,
                                   base_status=status, allow_untrained=allow_untrained,
                                   training=training_config(run.config,
                                                            run.meta.kind == "study"))
    say(f"guidelines: {len(guidelines.rules)} rules")
    settings = {"seed": seed, "alpha": alpha, "min_support": min_support, "split": split,
                "n_bootstrap": N_BOOTSTRAP, "allow_untrained": allow_untrained}
    return Analysis(run, outputs, rows, operator_rates(run), stats, conditioned, coverage(rows),
                    kruskal_tests(rows), pairwise_tests(rows), guidelines, settings,
                    base_summaries(rows))


def stage_timer(progress: Callable[[str], None] | None) -> Callable[[str], None]:
    """A function passing ``line (N.N s)`` to ``progress`` (seconds since this call), or
    doing nothing when ``progress`` is None."""
    start = time.perf_counter()

    def say(line: str) -> None:
        if progress is not None:
            progress(f"{line} ({time.perf_counter() - start:.1f} s)")

    return say
