"""``[search] prefilter``: the zero-cost proxy pre-filter of each generation's offspring
(docs/fidelity.md). A real tiny search is checked against an oracle: every recorded candidate
is scored again with ``nas_ops.proxy_scores`` and the kept ones are recomputed by non-dominated
sorting; only kept candidates become individuals and train; the default config breeds as
before; a run killed with SIGKILL and resumed equals the uninterrupted one."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import nas_ops
from nas_ops.config import PrefilterConfig, config_from_dict
from nas_ops.engine import run_search
from nas_ops.engine.prefilter import keep_best
from nas_ops.errors import ConfigError
from nas_ops.pareto import front_ranks
from nas_ops.store import Ledger, load_run, run_contents
from nas_ops.tasks import load_task
from tests.configs import tiny_config, tiny_dict, write_config
from tests.killing import kill_and_resume

PREFILTER = {"proxy": "synflow", "oversample": 2}


@pytest.mark.parametrize(("table", "message"), [
    ({"proxy": "flops"}, "search.prefilter.proxy must be one of grad_norm, synflow, naswot, "
                         "params, got 'flops'"),
    ({"proxy": "synflow", "oversample": 1}, "search.prefilter.oversample must be an integer in "
                                            r"\[2, 16\]"),
    ({"proxy": "synflow", "oversample": 2.5}, "oversample must be an integer"),
    ({"proxy": "synflow", "over": 2}, "unknown key search.prefilter.over; valid keys: proxy, "
                                      "oversample"),
])
def test_bad_prefilter_tables_are_refused(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(tiny_dict(search__prefilter=table))


def test_aging_refuses_the_prefilter_and_the_table_is_read() -> None:
    with pytest.raises(ConfigError, match="search.prefilter is not built for algorithm = "
                                          "'aging'"):
        config_from_dict(tiny_dict(algorithm="aging", search__prefilter=PREFILTER))
    assert PrefilterConfig.from_table(PREFILTER) == PrefilterConfig("synflow", 2)
    assert not PrefilterConfig.from_table({}).enabled
    assert "prefilter" not in tiny_config().to_dict()["search"]  # off: recorded as before


def test_keep_best_takes_whole_fronts_then_rank_sums() -> None:
    scores = [[1.0, 5.0], [2.0, 4.0], [0.5, 0.5], [3.0, 1.0], [-math.inf, 6.0], [2.0, 4.0]]
    assert front_ranks(scores) == [0, 0, 1, 0, 0, 0]
    # front 0: 0, 1, 3, 4, 5; rank sums: 0 -> 3 + 1, 1 -> 1 + 2, 3 -> 0 + 4, 4 -> 5 + 0, 5 -> 3
    assert keep_best(scores, 2) == ([1, 5], front_ranks(scores))
    assert keep_best(scores, 4)[0] == [0, 1, 3, 5]
    assert keep_best(scores, 6)[0] == list(range(6))


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prefilter") / "run"
    run_search(tiny_config(seed=5, search__prefilter=PREFILTER), out, progress=False)
    return out


def test_the_kept_children_are_the_oracle_of_the_proxy_scores(filtered: Path) -> None:
    run = load_run(filtered)
    task = load_task("mnist1d", n_train=200)
    assert run.meta.schema == 7
    gens = sorted({r["generation"] for r in run.prefilter})
    assert gens == [1, 2]
    individuals = run.by_uid()
    for g in gens:
        rows = [r for r in run.prefilter if r["generation"] == g]
        assert [r["slot"] for r in rows] == list(range(8))  # 2 x 4 candidates bred
        vectors = []
        for r in rows:
            assert any(v.generation == g and v.child == r["uid"] for v in run.variations)
            seed = nas_ops.rng.torch_seed(5, "eval", r["uid"])
            vectors.append([r["scores"][o.name] for o in task.outputs])
            if r["kept"]:  # its genome is an individual's: scored again, it gives the record
                ind = individuals[r["uid"]]
                assert ind.seed == seed and ind.hash == r["hash"]
                found = nas_ops.proxy_scores(ind.genome, task, seed, data_seed=5)
                assert [found[o.name]["synflow"] for o in task.outputs] == \
                    pytest.approx(vectors[-1], rel=1e-12)
            else:
                assert r["uid"] not in individuals  # dropped: never an individual
        kept, front = keep_best(vectors, 4)
        assert [r["slot"] for r in rows if r["kept"]] == kept
        assert [r["front"] for r in rows] == front


def test_only_kept_children_train_and_dropped_cost_nothing(filtered: Path) -> None:
    run = load_run(filtered)
    kept = {r["uid"] for r in run.prefilter if r["kept"]}
    dropped = {r["uid"] for r in run.prefilter if not r["kept"]}
    children = {i.uid for i in run.individuals if i.generation > 0}
    assert children == kept and len(dropped) == 8
    assert {p.uid for p in run.hypervolume}.isdisjoint(dropped)
    assert run.meta.steps_spent == sum(i.evaluation.steps for i in run.individuals
                                          if i.evaluation and i.evaluation.status != "duplicate")


def test_the_default_config_breeds_what_it_bred_before(tmp_path: Path) -> None:
    """Off, the loop breeds exactly ``offspring`` slots: the same uids, genomes and variation
    rows as the slots 0..3 of a run whose pre-filter is on (the same seed breeds the same
    candidates until the pre-filter's first decision changes the population)."""
    off = tmp_path / "off"
    run_search(tiny_config(seed=5, generations=1), off, progress=False)
    on = tmp_path / "on"
    run_search(tiny_config(seed=5, generations=1, search__prefilter=PREFILTER), on,
               progress=False)
    a, b = load_run(off), load_run(on)
    assert a.prefilter == [] and run_contents(off)["prefilter"] == []
    assert [(v.generation, v.slot, v.attempt, v.child) for v in a.variations] == \
        [(v.generation, v.slot, v.attempt, v.child) for v in b.variations if v.slot < 4]
    with Ledger(off) as ledger:  # the recorded config, as before the key existed
        assert "prefilter" not in ledger.meta("config")["search"]


@pytest.mark.slow
def test_killed_and_resumed_prefilter_run_equals_uninterrupted(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "cfg.toml", seed=6, generations=3,
                       search__prefilter=PREFILTER)
    clean = tmp_path / "clean"
    run_search(cfg, clean, progress=False)  # in-process: same engine, no interpreter start
    expected = run_contents(clean)
    assert len(expected["prefilter"]) == 24
    killed = tmp_path / "killed"
    kill_and_resume(cfg, killed, 7)
    assert run_contents(killed) == expected
