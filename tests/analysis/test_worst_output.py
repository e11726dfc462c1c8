"""The ``worst_output`` covariate ranks a parent only among the individuals that existed before
its children (issue 24 point 3): in a study, among the base models, never among its own
children and controls, whose outcome the covariate would otherwise leak."""

from __future__ import annotations

from pathlib import Path

from nas_ops.analysis import analyze_run
from nas_ops.analysis.effects import effect_rows
from nas_ops.analysis.rows import metric_value, run_outputs
from nas_ops.store.run import Individual, load_run
from tests.analysis.synthetic import PLANTED, write_planted_run


def _worst(parent: Individual, pool: list[Individual], outputs: list) -> str:
    """The oracle: the output with the lowest share of ``pool`` at or below the parent."""
    def share(o) -> float:  # noqa: ANN001
        mine = o.signed(metric_value(parent, o))
        return sum(o.signed(metric_value(i, o)) <= mine for i in pool) / len(pool)
    return min((share(o), k, o.name) for k, o in enumerate(outputs))[2]


def test_a_parent_is_ranked_among_the_bases_only(tmp_path: Path) -> None:
    # plant_a makes every child much better on class, so ranked among its children a parent's
    # class looks worse than it stood when its children were made
    plant = {**PLANTED, "plant_a": {"class": (0.3, 0.01)}}
    run = load_run(write_planted_run(tmp_path / "run", plant, n_parents=12, per_parent=3))
    outputs = run_outputs(run)
    bases = [i for i in run.evaluated() if i.generation == 0]
    by_uid = run.by_uid()
    rows = effect_rows(run, outputs)
    before = {r.parent: _worst(by_uid[r.parent], bases, outputs) for r in rows}
    leaked = {r.parent: _worst(by_uid[r.parent], run.evaluated(), outputs) for r in rows}
    assert before != leaked, "the planted run must tell the two rankings apart"
    for r in rows:
        assert r.worst_output == (r.output == before[r.parent]), (r.parent, r.output)


def test_the_conditioned_cells_use_the_unleaked_covariate(tmp_path: Path) -> None:
    run_dir = write_planted_run(tmp_path / "run", n_parents=10, per_parent=1)
    a = analyze_run(run_dir)
    bases = [i for i in a.run.evaluated() if i.generation == 0]
    worst = {b.uid: _worst(b, bases, a.outputs) for b in bases}
    cells = [c for c in a.conditioned if c.condition == "worst_output" and c.level == "worst"]
    for c in cells:
        expected = sum(1 for r in a.effects if (r.operator, r.output) == (c.operator, c.output)
                       and worst[r.parent] == r.output)
        assert c.n == expected
