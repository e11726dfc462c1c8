"""Running an experiment (:mod:`nas_ops.experiments.plan`): every arm x seed as one search, one
after another, then ``nas-ops compare`` of each group of arms.

Layout of ``OUT``: ``plan.json`` (the expanded plan), ``runs/<arm>/seed-<seed>/`` (one run
directory each) and ``compare/<group>/`` (the comparison report of the group's arms, the arms
as labels; the group's first arm in the file is the reference of the speed-ups: the training
steps every other arm needs to reach its final hypervolume). Runs go seed-major (every arm of
the first seed, then the next seed), so an experiment stopped early holds complete pairs.
Running it again resumes: a finished run is skipped, an interrupted one resumed
(``resume_search``: it ends as if never stopped), a missing one started; the comparisons are
then written again.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nas_ops.analysis.compare import Comparison, compare_runs
from nas_ops.engine.runs import resume_search, run_search
from nas_ops.engine.search import Search
from nas_ops.errors import AllFailedError, ConfigError, NasOpsError
from nas_ops.experiments.plan import Arm, ExperimentPlan, check_against, run_dir, run_state
from nas_ops.infra.files import write_atomic
from nas_ops.infra.outdir import (
    EXPERIMENT_FILE,
    check_experiment_out,
    check_replaceable,
    replacing,
)

PLAN_FILE = EXPERIMENT_FILE


@dataclass
class ExperimentResult:
    out: Path
    ran: int = 0  # runs started or resumed here
    skipped: int = 0  # runs already finished
    comparisons: dict[str, Comparison] = field(default_factory=dict)  # group -> comparison


def prepare_out(out: Path, plan: ExperimentPlan) -> None:
    """Refuse an ``OUT`` that holds something else (a run, other files), or runs of another
    version of an arm; then record the plan."""
    check_experiment_out(out)
    record = out / PLAN_FILE
    if record.is_file():
        try:
            check_against(json.loads(record.read_text()), plan)
        except json.JSONDecodeError:
            raise ConfigError(f"{record} is not valid JSON; use a new --out directory") from None
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(record, json.dumps(plan.to_dict(), indent=1, sort_keys=True) + "\n")


def check_arms(plan: ExperimentPlan, out: Path) -> None:
    """Before any run is made or anything written: every arm that has a run to start is set
    up as its search would be (task, operators, policy and its guidelines file, device...),
    in a scratch directory; a mistake is one line naming the arm. Arms whose runs exist
    already resume from what those recorded."""
    for arm in plan.arms:
        seed = next((s for s in plan.seeds if run_state(run_dir(out, arm, s)) == "new"), None)
        if seed is None:
            continue
        with tempfile.TemporaryDirectory(prefix=".nas-ops-check-") as scratch:
            try:
                Search(arm.run_config(seed), Path(scratch) / "run", progress=False).close()
            except (NasOpsError, FileNotFoundError) as exc:
                detail = str(exc) if isinstance(exc, NasOpsError) else \
                    f"no such file: {exc.filename}"
                raise ConfigError(f"arms.{arm.name}: {detail}") from None


def run_experiment(plan: ExperimentPlan, out: str | Path, *,
                   say: Callable[[str], None] = print) -> ExperimentResult:
    """Run (or resume) every arm x seed of ``plan`` into ``out``, then compare each group;
    ``say`` gets one line per run and per comparison. Every arm is checked first
    (:func:`check_arms`): a mistake leaves nothing behind."""
    root = Path(out)
    check_experiment_out(root)
    for group in plan.groups():  # refused now, not after every run: a comparison is replaced
        check_replaceable(root / "compare" / group, "comparison", flag="comparison directory")
    check_arms(plan, root)
    prepare_out(root, plan)
    result = ExperimentResult(root)
    todo = plan.runs()
    took: list[float] = []
    for k, (arm, seed) in enumerate(todo, 1):
        path = run_dir(root, arm, seed)
        state = run_state(path)
        head = f"[{k}/{len(todo)}] {arm.name} seed {seed}"
        if state == "finished":
            result.skipped += 1
            say(f"{head}: finished before, skipped")
            continue
        start = time.perf_counter()
        try:
            if state == "interrupted":
                summary = resume_search(path, progress=False)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                summary = run_search(arm.run_config(seed), path, progress=False)
        except AllFailedError as exc:  # nothing to compare: the arm is named, the rest waits
            raise AllFailedError(f"arm {arm.name!r} seed {seed} ({path}): {exc}",
                                 exc.summary) from None
        took.append(time.perf_counter() - start)
        result.ran += 1
        left = sum(1 for a, s in todo[k:] if run_state(run_dir(root, a, s)) != "finished")
        eta = f", about {_duration(sum(took) / len(took) * left)} left" if left else ""
        say(f"{head}: {'resumed' if state == 'interrupted' else 'ran'} "
            f"{summary.evaluations} evaluations, {summary.steps_spent} training steps "
            f"(stopped by {summary.stopped_by}) in {took[-1]:.0f} s{eta}")
    for group, arms in plan.groups().items():
        result.comparisons[group] = compare_group(root, group, arms, plan.seeds,
                                                  plan.speedup_share)
        say(f"compare {group}: {root / 'compare' / group / 'index.html'}")
        say(f"  {result.comparisons[group].verdict}")
    return result


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def compare_group(root: Path, group: str, arms: list[Arm], seeds: tuple[int, ...],
                  speedup_share: float | None = None) -> Comparison:
    """The comparison of ``arms`` (labelled by arm name) over ``seeds``, rendered into
    ``root/compare/<group>``; the first arm is the reference of the speed-ups (to
    ``speedup_share`` x the smaller final hypervolume of each pair, when given)."""
    from nas_ops.report.compare import render_comparison  # matplotlib: only when rendering

    dirs = [run_dir(root, a, s) for s in seeds for a in arms]
    cmp = compare_runs(dirs, labels=[a.name for s in seeds for a in arms],
                       reference=arms[0].name, speedup_share=speedup_share)
    with replacing(root / "compare" / group, "comparison", flag="comparison directory") as tmp:
        render_comparison(cmp, tmp)
    return cmp
