"""The records of an analysis: a run's scored outputs, effect rows and operator rates.

Lower than :mod:`nas_ops.analysis.effects` and :mod:`nas_ops.analysis.covariates`, which both
build on these (see :mod:`nas_ops.analysis.effects` for the definitions of the numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from nas_ops.analysis.blocks import AsDict
from nas_ops.genome.nodes import GENERATION_METRICS, PRIMARY_METRICS, primary_metric
from nas_ops.store.run import Individual, Run
from nas_ops.variation.events import RETRAIN_CONTROL

COMPLEXITY_KEYS = ("parameters", "networks", "connections", "layers")
CONTROL = RETRAIN_CONTROL  # today's control: the base retrained whole, unpaired
MATCHED_CONTROL = "matched_control"  # the base retrained on exactly one edit child's set
CONTROLS = (CONTROL, MATCHED_CONTROL)


@dataclass(frozen=True)
class OutputInfo:
    """An output of the run's task and how it is scored."""

    name: str
    kind: str
    metric: str
    higher_is_better: bool

    def signed(self, value: float) -> float:
        """The metric value signed so that larger is better."""
        return value if self.higher_is_better else -value


@dataclass
class EffectRow(AsDict):
    """The effect of one variation on one output (long format: one row per output)."""

    generation: int
    slot: int
    attempt: int
    operator: str
    family: str
    parent: str
    child: str
    output: str
    metric: str
    parent_value: float
    child_value: float
    effect: float
    relative_effect: float
    affected: bool
    d_parameters: float
    d_networks: float
    d_connections: float
    d_layers: float
    status: str
    neutral: bool
    cost_s: float
    parent_parameters: float
    d_flops: float = math.nan
    d_output_parameters: float = math.nan
    d_output_flops: float = math.nan
    edited_network: str | None = None
    relevance: float | None = None
    relevance_level: str | None = None
    worst_output: bool | None = None
    size_level: str | None = None
    distance: int | None = None
    distance_level: str | None = None
    scaled_effect: float = math.nan
    retrains_all: bool = False
    control: str | None = None
    control_value: float = math.nan
    effect_vs_control: float = math.nan
    scaled_vs_control: float = math.nan
    child_steps: float = math.nan
    parent_steps: float = math.nan

    @property
    def base(self) -> str:
        """The block of the row: the base model (the parent) its child was varied from."""
        return self.parent

    def primary(self, scaled: bool) -> float:
        """The effect a test uses: against the matched control when the row has one (edit minus
        control), else against the parent; the scale-free log error ratio when ``scaled``."""
        if self.control is not None:
            return self.scaled_vs_control if scaled else self.effect_vs_control
        return self.scaled_effect if scaled else self.effect

    @staticmethod
    def columns() -> list[str]:
        return [f.name for f in fields(EffectRow)]


@dataclass
class OperatorRates(AsDict):
    """What happened when an operator was tried (every attempt, with or without a child).

    ``ok``: a child was produced; ``neutral``: of those, how many had the parent's structural
    hash; ``not_applicable`` / ``failed``: the variation's status; ``eval_failed``: a child
    produced whose evaluation failed. Rates are over ``attempts``.
    """

    operator: str
    family: str
    attempts: int
    ok: int
    not_applicable: int
    failed: int
    neutral: int
    eval_failed: int
    success_rate: float
    not_applicable_rate: float
    neutral_rate: float
    failure_rate: float
    mean_cost_s: float


def run_outputs(run: Run) -> list[OutputInfo]:
    """The outputs of the run (from its first genome), with their primary metric (a generation
    output's is the run's ``task.sample_metric``)."""
    if not run.individuals:
        return []
    infos = []
    for node in run.individuals[0].genome.outputs:
        known = node.kind in PRIMARY_METRICS and run.sample_metric in GENERATION_METRICS
        metric, higher = primary_metric(node.kind, run.sample_metric) if known else (None, True)
        infos.append(OutputInfo(node.id, node.kind, metric or _guess_metric(run, node.id), higher))
    return infos


def _guess_metric(run: Run, output: str) -> str:
    for ind in run.evaluated():
        metrics = ind.evaluation.val.get(output, {}) if ind.evaluation else {}
        if metrics:
            return sorted(metrics)[0]
    return "unknown"


def error_of(out: OutputInfo, value: float) -> float:
    """The error of a metric value: 1 - value for a score in [0, 1] where higher is better
    (accuracy), the value itself for an error metric (mse, recon_mse)."""
    return 1.0 - value if out.higher_is_better else value


def log_error_ratio(out: OutputInfo, before: float, after: float) -> float:
    """log(error before / error after): the scale-free effect, positive = better (minus the log
    error ratio log(err_after / err_before)); nan when either error is not positive."""
    e0, e1 = error_of(out, before), error_of(out, after)
    if not (e0 > 0.0 and e1 > 0.0):  # also false for nan
        return math.nan
    return math.log(e0 / e1)


def metric_value(ind: Individual | None, out: OutputInfo, split: str = "val") -> float:
    """The individual's value of ``out``'s primary metric, or nan without a usable evaluation."""
    if ind is None or ind.evaluation is None or not ind.evaluation.ok:
        return math.nan
    metrics = getattr(ind.evaluation, split).get(out.name, {})
    value = metrics.get(out.metric)
    return math.nan if value is None else float(value)
