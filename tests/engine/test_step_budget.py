"""``[budget] total_steps``: a search stops breeding once its evaluations trained that many
optimizer steps. Checked against the same search without the budget (the budget only stops a
run, it never changes what the run does before), and through a real kill -9 and resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from nas_ops.config import BudgetConfig, config_from_dict
from nas_ops.engine import run_search, run_study
from nas_ops.errors import ConfigError
from nas_ops.store import load_run, run_contents
from tests.configs import tiny_config, tiny_dict, write_config
from tests.killing import kill_and_resume


@pytest.mark.parametrize("value, message", [
    (-1, "budget.total_steps must be >= 0, got -1"),
    (1.5, "budget.total_steps must be an integer, got 1.5"),
])
def test_bad_budgets_are_refused(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        BudgetConfig(total_steps=value)  # type: ignore[arg-type]


def test_a_toml_float_is_refused() -> None:
    with pytest.raises(ConfigError, match="budget.total_steps must be an integer, got 1.5"):
        config_from_dict(tiny_dict(budget__total_steps=1.5))


def test_a_study_refuses_a_step_budget(tmp_path: Path) -> None:
    cfg = tiny_config(budget__total_steps=100, study__base_models=2)
    with pytest.raises(ConfigError, match="total_steps = 100 is a search budget"):
        run_study(cfg, tmp_path / "study")
    assert not (tmp_path / "study").exists()


def _steps(run_dir: Path) -> list[tuple[str, int]]:
    """(uid, steps) of every evaluation in the order the search settled them."""
    return [(p.uid, p.steps_done) for p in load_run(run_dir).hypervolume]


def _spent_before(curve: list[tuple[str, int]], uids: set[str]) -> int:
    """Steps spent by the evaluations of ``uids`` (the curve is cumulative)."""
    total, last = 0, 0
    for uid, cumulative in curve:
        if uid in uids:
            total += cumulative - last
        last = cumulative
    return total


@pytest.fixture(scope="module")
def unbudgeted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("budget")
    runs = {}
    for algorithm in ("nsga2", "aging"):
        runs[algorithm] = root / algorithm
        run_search(tiny_config(seed=5, algorithm=algorithm, generations=5),
                   runs[algorithm], progress=False)
    return runs


def test_nsga2_stops_after_the_generation_that_reaches_the_budget(
        unbudgeted: dict[str, Path], tmp_path: Path) -> None:
    full = load_run(unbudgeted["nsga2"])
    curve = _steps(unbudgeted["nsga2"])
    by_gen: dict[int, set[str]] = {}
    for ind in full.individuals:
        by_gen.setdefault(ind.generation, set()).add(ind.uid)
    cumulative = [_spent_before(curve, set().union(*(by_gen[g] for g in range(k + 1))))
                  for k in range(len(by_gen))]
    budget = cumulative[1] + 1  # reached during generation 2: generation 3 is never bred
    summary = run_search(tiny_config(seed=5, generations=5, budget__total_steps=budget),
                         tmp_path / "run", progress=False)
    got = run_contents(tmp_path / "run")
    want = run_contents(unbudgeted["nsga2"])
    assert set(got["individuals"]) == by_gen[0] | by_gen[1] | by_gen[2]
    for uid, ind in got["individuals"].items():  # the budget changed nothing it let run
        assert ind == want["individuals"][uid]
    assert got["hypervolume"] == want["hypervolume"][:len(got["hypervolume"])]
    assert (summary.steps_spent, summary.stopped_by) == (cumulative[2], "total_steps")
    assert (got["steps_spent"], got["stopped_by"]) == (cumulative[2], "total_steps")
    assert cumulative[1] < budget <= cumulative[2]
    assert "stopped by total_steps" in "\n".join(summary.lines())
    assert want["stopped_by"] == "max_evals" and want["steps_spent"] == curve[-1][1]


def test_aging_stops_breeding_at_the_budget_and_finishes_what_it_bred(
        unbudgeted: dict[str, Path], tmp_path: Path) -> None:
    curve = _steps(unbudgeted["aging"])
    want = run_contents(unbudgeted["aging"])
    init = {u for u in want["individuals"] if u.startswith("g000")}
    children = sorted(u for u in want["individuals"] if u.startswith("a"))
    spent = [_spent_before(curve, init | set(children[:k])) for k in range(len(children) + 1)]
    budget = spent[5] + 1  # reached when child a00005 is told: m = 6 children
    lag = 4  # search.async_lag's default: children bred ahead of the results told
    run_search(tiny_config(seed=5, algorithm="aging", generations=5,
                           budget__total_steps=budget), tmp_path / "run", progress=False)
    got = run_contents(tmp_path / "run")
    assert spent[5] < budget <= spent[6]
    assert sorted(u for u in got["individuals"] if u.startswith("a")) == children[:6 - 1 + lag]
    for uid, ind in got["individuals"].items():
        assert ind == want["individuals"][uid]
    assert got["stopped_by"] == "total_steps"
    assert got["steps_spent"] == spent[6 - 1 + lag]


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["nsga2", "aging"])
def test_killed_and_resumed_budgeted_run_equals_uninterrupted(algorithm: str,
                                                             tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "cfg.toml", extra="total_steps = 45\n", seed=6,
                       algorithm=algorithm, generations=8)
    clean = tmp_path / "clean"
    run_search(cfg, clean, progress=False)  # in-process: same engine, no interpreter start
    expected = run_contents(clean)
    assert expected["stopped_by"] == "total_steps"
    assert len(expected["individuals"]) < 4 + 4 * 8  # the budget ended it, not the generations
    killed = tmp_path / "killed"
    done = kill_and_resume(cfg, killed, len(expected["individuals"]) // 2 + 1)
    assert f"spent {expected['steps_spent']} training steps" in done.stdout
    assert run_contents(killed) == expected
