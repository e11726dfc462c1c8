"""What a finished (or stopped) search reports: its evaluations, best models and Pareto front."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nas_ops.engine.individuals import Candidate
from nas_ops.errors import AllFailedError
from nas_ops.pareto import first_front
from nas_ops.store.ledger import Ledger
from nas_ops.tasks.base import OutputSpec

FRONT_SHOWN = 5  # Pareto-front uids printed; the report has the whole front


@dataclass
class SearchSummary:
    run_dir: Path
    evaluations: int
    trained: int
    failures: int
    best: dict[str, tuple[str, float]]
    front: list[str]
    wall_time_s: float
    population: list[str] = field(default_factory=list)
    steps_spent: int = 0  # optimizer steps of every evaluation (duplicates 0)
    stopped_by: str = ""  # total_steps, max_evals or generations ("" when not finished)
    notes: list[str] = field(default_factory=list)  # what the run could not do, and why

    def lines(self) -> list[str]:
        out = [f"run {self.run_dir}: {self.evaluations} evaluations ({self.trained} trained "
               f"now, {self.failures} failed) in {self.wall_time_s:.1f} s"]
        if self.stopped_by:
            out.append(f"  spent {self.steps_spent} training steps; stopped by "
                       f"{self.stopped_by}")
        for name, (uid, value) in self.best.items():
            out.append(f"  best {name}: {value:.4g} ({uid})")
        shown = ", ".join(self.front[:FRONT_SHOWN])
        more = f" and {len(self.front) - FRONT_SHOWN} more (nas-ops report lists them)" \
            if len(self.front) > FRONT_SHOWN else ""
        out.append(f"  Pareto front: {len(self.front)} individuals: {shown}{more}")
        out.append(f"  ledger: {self.run_dir / 'ledger.sqlite'}")
        out += [f"  note: {note}" for note in self.notes]
        return out

    def all_failed(self) -> str | None:
        """One line when every evaluation of the run failed (with the most common reason, read
        from the ledger), else None."""
        if self.evaluations == 0 or self.failures < self.evaluations:
            return None
        with Ledger(self.run_dir, "r") as ledger:
            row = ledger.db.execute(
                "SELECT error, COUNT(*) AS n FROM evaluations WHERE status = 'failed' "
                "GROUP BY error ORDER BY n DESC, error LIMIT 1").fetchone()
        reason = f"; most common reason ({row['n']} of {self.failures}): {row['error']}" \
            if row is not None else ""
        return f"all {self.failures} evaluations failed{reason}"


def unless_all_failed(summary: SearchSummary) -> SearchSummary:
    """``summary``, or :class:`AllFailedError` (carrying it) when every evaluation failed."""
    line = summary.all_failed()
    if line is not None:
        raise AllFailedError(line, summary)
    return summary


def best_and_front(members: Mapping[str, Candidate], outputs: Sequence[OutputSpec],
                   weights: tuple[float, ...]) -> tuple[dict[str, tuple[str, float]],
                                                        list[str]]:
    """The best evaluated model per output, and the first Pareto front (sorted uids), of the
    full-fidelity results (children stopped at a lower rung are left out)."""
    ok = [u for u, c in members.items()
          if c.record is not None and c.record.ok and c.record.fidelity == 1.0]
    best = {}
    for k, spec in enumerate(outputs):
        if ok:
            sign = 1 if spec.higher_is_better else -1
            values = {u: sign * members[u].objectives[k] for u in ok}
            uid = max(ok, key=values.__getitem__)
            best[spec.name] = (uid, members[uid].objectives[k])
    return best, first_front({u: members[u].objectives for u in ok}, weights)
