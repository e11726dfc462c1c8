"""``[search] fidelity`` with ``rule = "median"`` (docs/fidelity.md): a child stops at a rung
below the last when the rung's median beats it on every output, once the rung has
``min_history`` results.

The rule is checked on hand-made values; real tiny searches (NSGA-II, and aging, which takes
each child through the rungs on its own) are checked against an oracle that recomputes every
decision from the recorded rung-0 results with numpy's median, and a run killed with SIGKILL and
resumed equals the uninterrupted one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nas_ops.cli import main
from nas_ops.config import SearchConfig, config_from_dict
from nas_ops.engine import run_search
from nas_ops.engine.individuals import Candidate
from nas_ops.engine.search import Search
from nas_ops.errors import ConfigError
from nas_ops.evaluation import run_request
from nas_ops.fidelity import FidelityConfig, median_stops
from nas_ops.store import load_run, run_contents
from nas_ops.tasks import load_task
from tests.configs import tiny_config, tiny_dict, write_config
from tests.engine.test_fidelity import _rows
from tests.killing import kill_and_resume

MEDIAN = {"rungs": [0.25, 1.0], "rule": "median"}
# one continuous output: mnist1d's accuracy sits at chance in a 2-epoch run and ties the median,
# which (strictly worse) stops nobody; the multi-output rule is checked on hand-made values
RUN = {"seed": 3, "epochs": 2, "generations": 3, "task__outputs": ["reconstruction"],
       "search__fidelity": MEDIAN}


def test_median_parses_with_its_defaults_and_aging_accepts_it() -> None:
    assert FidelityConfig.from_table(MEDIAN) == FidelityConfig((0.25, 1.0), 0.5, False, "median", 5)
    assert FidelityConfig.from_table({**MEDIAN, "min_history": 2}).min_history == 2
    assert FidelityConfig.from_table({"rungs": [0.25, 1.0]}).rule == "halving"
    cfg = config_from_dict(tiny_dict(algorithm="aging", search__fidelity=MEDIAN))
    assert cfg.to_dict()["search"]["fidelity"] == MEDIAN  # recorded as written


@pytest.mark.parametrize("table, message", [
    ({**MEDIAN, "rule": "mean"}, "search.fidelity.rule must be one of halving, median, all, got "
                                 "'mean'"),
    ({**MEDIAN, "keep": 0.5}, "search.fidelity.keep is for rule = 'halving'; rule = 'median' "
                              "stops by the rung's median, leave keep out (or use min_history)"),
    ({**MEDIAN, "min_history": 0}, "search.fidelity.min_history must be an integer >= 1, got 0"),
    ({**MEDIAN, "min_history": 2.5}, "search.fidelity.min_history must be an integer >= 1, got "
                                     "2.5"),
    ({**MEDIAN, "min_history": True}, "min_history must be an integer >= 1, got True"),
    ({"rungs": [0.25, 1.0], "min_history": 3}, "search.fidelity.min_history is for rule = "
                                               "'median'; rule = 'halving' promotes by keep"),
])
def test_bad_median_tables_are_refused(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        SearchConfig(fidelity=table)
    assert message in str(err.value)


def test_a_bad_rule_is_one_line_and_exit_2_at_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path / "cfg.toml", search__fidelity={**MEDIAN, "rule": "asha"})
    code = main(["search", str(cfg), "--out", str(tmp_path / "out")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert lines == [f"nas-ops: error: {cfg}: search.fidelity.rule must be one of halving, "
                     "median, all, got 'asha'"]
    assert not (tmp_path / "out" / "ledger.sqlite").exists()


# history of two outputs: the first higher-is-better (medians 0.3 / 0.25 for the first four),
# the second lower-is-better (medians 0.7 / 0.65)
HISTORY = [[0.1, 0.5], [0.2, 0.6], [0.3, 0.7], [0.4, 0.8], [0.5, 0.9]]
HIGHER = [True, False]


@pytest.mark.parametrize("values, stops", [
    ([0.2, 0.8], True),  # worse than the median point on both outputs
    ([0.4, 0.8], False),  # better on the first
    ([0.2, 0.6], False),  # better on the second
    ([0.3, 0.8], False),  # equal on the first: not strictly worse
    ([0.2, 0.7], False),  # equal on the second
    ([0.0, 1e6], True),  # the worst values a failed metric gets
])
def test_the_rule_stops_a_child_the_median_point_dominates(values: list[float],
                                                            stops: bool) -> None:
    assert median_stops(HISTORY, values, HIGHER, 5) is stops
    assert median_stops(HISTORY, values, HIGHER, 1) is stops


def test_the_rule_needs_min_history_results_and_takes_the_mean_of_the_middle_two() -> None:
    assert not median_stops(HISTORY, [0.2, 0.8], HIGHER, 6)  # 5 results < 6: nobody stops
    assert not median_stops([], [0.0, 1e6], HIGHER, 1)
    four = HISTORY[:4]  # even count: medians 0.25 and 0.65
    assert median_stops(four, [0.24, 0.66], HIGHER, 4)
    assert not median_stops(four, [0.26, 0.66], HIGHER, 4)
    assert not median_stops(four, [0.24, 0.64], HIGHER, 4)
    assert median_stops([[2.0], [3.0], [4.0]], [3.5], [False], 3)  # one output, minimised
    assert not median_stops([[2.0], [3.0], [4.0]], [3.0], [False], 3)


@pytest.fixture(scope="module")
def median_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The uninterrupted run of an algorithm (made on first use, once per module)."""
    made: dict[str, Path] = {}

    def get(algorithm: str) -> Path:
        if algorithm not in made:
            made[algorithm] = tmp_path_factory.mktemp("median") / algorithm
            run_search(tiny_config(algorithm=algorithm, **RUN), made[algorithm], progress=False)
        return made[algorithm]

    return get


@pytest.mark.parametrize("algorithm", ["nsga2", "aging"])
def test_stopped_children_are_the_oracle_of_the_recorded_rung0_results(
        algorithm: str, median_run: Callable[[str], Path]) -> None:
    """Generational: a child of generation g is compared with the successful rung-0 results of
    the generations before g and the other children of g; aging: with those of every child
    created before it. Stopped: strictly worse than the median, with at least 5 of them."""
    out = median_run(algorithm)
    run, rows = load_run(out), _rows(out)
    (spec,) = load_task("mnist1d", n_train=200, outputs=["reconstruction"]).outputs
    assert not spec.higher_is_better
    children = sorted((i for i in run.individuals if i.generation > 0),
                      key=lambda i: (i.generation, i.slot))
    value = {i.uid: json.loads(rows[f"{i.uid}@r0"]["val"])["reconstruction"][spec.primary_metric]
             for i in children if rows.get(f"{i.uid}@r0", {}).get("status") == "ok"}
    stopped = continued = small = 0
    for child in children:
        if child.uid not in value:  # a duplicate of an earlier result: no rung of its own
            assert child.evaluation is not None and child.evaluation.status == "duplicate"
            continue
        before = [c.uid for c in children if c.uid in value and c.uid != child.uid and (
            (c.generation, c.slot) < (child.generation, child.slot) if algorithm == "aging"
            else c.generation <= child.generation)]
        history = [value[u] for u in before]
        stops = len(history) >= 5 and value[child.uid] > float(np.median(history))
        small += len(history) < 5
        ev = child.evaluation
        assert ev is not None
        if stops:
            assert child.uid not in rows and (ev.uid, ev.rung, ev.fidelity) == (
                f"{child.uid}@r0", 0, 0.25)
            stopped += 1
        else:
            assert child.uid in rows and (ev.uid, ev.rung, ev.fidelity) == (child.uid, 1, 1.0)
            continued += 1
    assert stopped and continued and small  # every kind of decision happened
    full = {i.uid for i in run.ok()}
    assert all(u in full for pop in run.populations.values() for u in pop)


def test_aging_results_told_out_of_order_give_the_same_run(median_run: Callable[[str], Path],
                                                           tmp_path: Path) -> None:
    """Aging with rungs by ask/tell, telling the oldest and the newest result asked for in turn:
    first rungs of later children are in flight while a child trains its last rung, results
    arrive out of order, and the run equals the one evaluated in order."""
    search = Search(tiny_config(algorithm="aging", **RUN), tmp_path / "run", progress=False)
    in_flight: list[Candidate] = []
    overlapped = False
    told = 0
    try:
        while True:
            in_flight += search.ask()
            if search.finished:
                break
            assert in_flight, "the search waits for a result it did not ask for"
            overlapped |= any(c.uid.startswith("a") and "@r" not in c.uid for c in in_flight) \
                and any(c.uid.endswith("@r0") for c in in_flight)
            cand = in_flight.pop(0 if told % 2 else -1)
            told += 1
            assert cand.request is not None
            search.tell(cand.uid, run_request(cand.request))
    finally:
        search.close()
    assert overlapped and not in_flight
    assert run_contents(tmp_path / "run") == run_contents(median_run("aging"))


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["nsga2", "aging"])
def test_killed_and_resumed_median_run_equals_uninterrupted(
        algorithm: str, median_run: Callable[[str], Path], tmp_path: Path) -> None:
    """Killed after 14 evaluation rows: in generation 2's first rung (NSGA-II), among the
    children of the second population's worth (aging)."""
    expected = run_contents(median_run(algorithm))
    cfg = write_config(tmp_path / "cfg.toml", algorithm=algorithm, **RUN)
    killed = tmp_path / "killed"
    kill_and_resume(cfg, killed, 14)
    assert run_contents(killed) == expected
