"""The "ranked" arm of the search decomposition (issue 24 point 4; plan:
studies/results/search_decomposition/plan.md): operator weights with real contrast, from the
operator ranking measured inside committed uniform searches.

    python studies/search_decomposition.py weights LEDGERS.tar.xz [--arm uniform] [--tv 0.3]
        per operator: the mean over seeds (the unit) of each seed's mean effect of its children
        on the outputs they affect (log error ratio, child vs parent: positive = better), then
        softmax weights whose total-variation distance from uniform is --tv; prints the
        [arms] line of studies/search_decomposition.toml and the ranking behind it

    python studies/search_decomposition.py summarize OUT [--doc docs/search-decomposition.md]
        OUT: the packaged experiment (studies/experiment_results.py package); the page of
        the decomposition: each arm's gain over the shared initial population and the
        architecture share with its interval (nas_ops.analysis.decomposition), every number
        read from OUT

The training-only arm is `policy.operators = ["retrain_control"]` (docs/search.md).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nas_ops.store.run import Run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "studies"))  # _results_cli beside this file, however loaded
from _results_cli import parse  # noqa: E402

SEARCH, TRAINING = "uniform", "training_only"


def archived_runs(archive: Path, arm: str) -> Iterator[tuple[int, Run]]:
    """(seed, run) of every ledger of ``arm`` in an experiment's ledgers.tar.xz
    (``<arm>-seed-<seed>.sqlite``), in seed order; each run's directory lasts until the next."""
    from nas_ops import load_run

    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
        members = sorted((m for m in tar.getmembers()
                          if m.isfile() and m.name.startswith(f"{arm}-seed-")),
                         key=lambda m: int(Path(m.name).stem.rsplit("-", 1)[1]))
        if not members:
            raise SystemExit(f"{archive}: no ledger of arm {arm!r} (files {arm}-seed-*.sqlite)")
        for m in members:
            run_dir = Path(tmp) / Path(m.name).stem
            run_dir.mkdir()
            src = tar.extractfile(m)
            assert src is not None
            (run_dir / "ledger.sqlite").write_bytes(src.read())
            yield int(Path(m.name).stem.rsplit("-", 1)[1]), load_run(run_dir)


def operator_scores(archive: Path, arm: str) -> dict[str, tuple[float, int]]:
    """mutation operator -> (mean over seeds of the seed's mean effect on affected outputs,
    seeds)."""
    from nas_ops.analysis.effects import effect_rows
    from nas_ops.analysis.rows import CONTROLS, run_outputs

    per_seed: dict[str, list[float]] = {}
    for _, run in archived_runs(archive, arm):
        rows = [r for r in effect_rows(run, run_outputs(run))
                if r.affected and r.operator not in CONTROLS and math.isfinite(r.effect)]
        ops = sorted({r.operator for r in rows})
        for op in ops:
            per_seed.setdefault(op, []).append(
                float(np.mean([r.effect for r in rows if r.operator == op])))
    from nas_ops.variation import get_operator

    return {op: (float(np.mean(v)), len(v)) for op, v in sorted(per_seed.items())
            if get_operator(op).arity == 1}  # what a policy chooses among: mutations


def softmax_for_tv(scores: dict[str, float], tv: float) -> tuple[dict[str, float], float]:
    """Weights ``exp(z / t)`` of the standardized scores ``z`` (normalized to sum 1), with
    the temperature ``t`` found by bisection so that their total-variation distance from
    uniform is ``tv``; (weights, t)."""
    names = list(scores)
    s = np.array([scores[n] for n in names])
    z = (s - s.mean()) / (s.std() or 1.0)
    k = len(names)

    def weights(t: float) -> np.ndarray:
        w = np.exp((z - z.max()) / t)
        return w / w.sum()

    def dist(t: float) -> float:
        return float(0.5 * np.abs(weights(t) - 1 / k).sum())

    lo, hi = 1e-3, 1e3  # dist falls as t grows
    if dist(lo) < tv:
        raise SystemExit(f"--tv {tv}: even a greedy choice is only {dist(lo):.3f} from uniform")
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if dist(mid) > tv else (lo, mid)
    t = math.sqrt(lo * hi)
    return {n: float(x) for n, x in zip(names, weights(t), strict=True)}, t


def summarize(out: Path) -> str:
    """The decomposition page of a packaged experiment directory."""
    from nas_ops.analysis.decomposition import (
        architecture_share,
        final_hypervolume,
        initial_hypervolume,
    )

    archive = out / "ledgers.tar.xz"
    plan = json.loads((out / "plan.json").read_text())
    prov = json.loads((out / "provenance.json").read_text())
    initial: dict[int, float] = {}
    final: dict[str, dict[int, float]] = {}
    for arm in plan["arms"]:
        for seed, run in archived_runs(archive, arm):
            final.setdefault(arm, {})[seed] = final_hypervolume(run)
            start = initial_hypervolume(run)
            if initial.setdefault(seed, start) != start:
                raise SystemExit(f"{archive}: arm {arm} seed {seed} starts from another "
                                 "initial hypervolume than the other arms of its seed")
    rel = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    budget = plan["arms"][SEARCH]["config"]["budget"]
    lines = [
        "# How much of a search is architecture: the search decomposition", "",
        f"<!-- generated by `python studies/search_decomposition.py summarize {rel}`; do not "
        "edit -->", "",
        f"Source: `{rel}/` (`ledgers.tar.xz`: every run's ledger; `plan.json`, "
        f"`provenance.json`: commit `{prov['commit'][:10]}`, {prov['machine']['cpu_count']} x "
        f"{prov['machine']['cpu']}, {prov['started']} to {prov['finished']}). Plan, written "
        "before the run: studies/results/search_decomposition/plan.md. The comparison of the "
        "arms (hypervolume tests, speed-ups) is docs/search-decomposition-results.md.", "",
        f"Every arm of a seed starts from the same initial population (checked: the same "
        f"initial hypervolume) and stops at {budget.get('total_steps')} training steps. "
        f"`{TRAINING}`: every child is its parent retrained from its weights, with no edit. "
        "The gain of an arm is its final hypervolume minus the initial one; the architecture "
        "share of an arm is 1 - mean gain of training only / mean gain of the arm (95 % "
        "bootstrap interval over seeds): 1 means all of its progress needs the edits, 0 that "
        "training alone progresses as far.", "",
        "| arm | seeds | mean initial HV | mean final HV | mean gain | architecture share |",
        "|---|---|---|---|---|---|"]
    for arm in plan["arms"]:
        seeds = sorted(final[arm])
        mean_init = float(np.mean([initial[s] for s in seeds]))
        mean_final = float(np.mean([final[arm][s] for s in seeds]))
        share = "reference"
        if arm != TRAINING:
            r = architecture_share(initial, final[arm], final[TRAINING])
            share = f"{r.share:+.2f} ({r.low:+.2f} .. {r.high:+.2f})"
        lines.append(f"| {arm} | {len(seeds)} | {mean_init:.6f} | {mean_final:.6f} | "
                     f"{mean_final - mean_init:+.6f} | {share} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("weights")
    w.add_argument("archive", type=Path)
    w.add_argument("--arm", default="uniform")
    w.add_argument("--tv", type=float, default=0.3)
    args = parse(ap, sub, summarize)
    if args is None:
        return
    if not 0 < args.tv < 1:
        print(f"--tv {args.tv}: give a distance between 0 and 1", file=sys.stderr)
        raise SystemExit(2)
    if not args.archive.is_file():
        print(f"{args.archive}: no such file", file=sys.stderr)
        raise SystemExit(2)
    scores = operator_scores(args.archive, args.arm)
    weights, t = softmax_for_tv({k: v[0] for k, v in scores.items()}, args.tv)
    print(f"# ranking from the {args.arm} arm of {args.archive} (mean over seeds of each "
          f"seed's mean log error ratio on affected outputs; softmax temperature {t:.4g} in "
          f"standard deviations, total-variation distance {args.tv} from uniform)")
    for op, (score, n) in sorted(scores.items(), key=lambda kv: -kv[1][0]):
        print(f"#   {op}: {score:+.4f} ({n} seeds) -> weight {weights[op]:.4f}")
    body = ", ".join(f'{op} = {weights[op] * len(weights):.4f}' for op in sorted(weights))
    print(f'ranked = {{policy = {{name = "weights", weights = {{{body}}}}}}}')
    print("# the run's operators ([base] policy.operators): these and the crossover swap_network")
    print("operators = [" + ", ".join(f'"{op}"' for op in sorted(weights)) + ', "swap_network"]')


if __name__ == "__main__":
    main()
