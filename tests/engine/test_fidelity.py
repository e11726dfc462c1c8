"""``[search] fidelity``: successive halving of each generation's offspring (docs/fidelity.md).

A real tiny search with rungs is checked against an oracle computed from its recorded rung-0
results with the engine's own survivor selection; its ledger rows, steps and populations are
checked one by one; the default config records what it recorded before."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pytest
import torch
from deap import tools

from nas_ops.config import SearchConfig, config_from_dict
from nas_ops.engine import run_search
from nas_ops.engine.fitness import Member, fitness_class, objective_weights, scalar
from nas_ops.engine.individuals import Candidate
from nas_ops.engine.search import Search
from nas_ops.errors import ConfigError
from nas_ops.evaluation.pipeline import prepare
from nas_ops.fidelity import FidelityConfig, individual_of, rung_key
from nas_ops.infra.files import file_sha256
from nas_ops.store import Ledger, load_run, run_contents
from nas_ops.tasks import load_task
from nas_ops.training import Budget
from tests.configs import tiny_config, tiny_dict, write_config
from tests.killing import kill_and_resume

RUNGS = {"rungs": [0.25, 1.0], "keep": 0.5}


@pytest.mark.parametrize("table, message", [
    ({"rungs": [1.0]}, "search.fidelity.rungs must be at least two fractions"),
    ({"rungs": [0.5, 0.25, 1.0]}, "strictly increasing in (0, 1], the last 1.0"),
    ({"rungs": [0.25, 0.5]}, "the last 1.0, e.g. [0.25, 1.0]; got [0.25, 0.5]"),
    ({"rungs": [0.0, 1.0]}, "got [0.0, 1.0]"),
    ({"rungs": "0.25"}, "got '0.25'"),
    ({"rungs": [0.25, 1.0], "keep": 1.0}, "search.fidelity.keep must be a fraction in (0, 1), "
                                          "got 1.0"),
    ({"rungs": [0.25, 1.0], "stopped_select": 1},
     "search.fidelity.stopped_select must be true or false, got 1"),
    ({"rung": [0.25, 1.0]}, "unknown key search.fidelity.rung; valid keys: rungs, keep, "
                            "stopped_select, rule, min_history"),
])
def test_bad_fidelity_tables_are_refused(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        SearchConfig(fidelity=table)
    assert message in str(err.value)


def test_aging_refuses_halving_and_toml_reads_rungs() -> None:
    with pytest.raises(ConfigError, match="search.fidelity rule = 'halving' needs a generation's "
                                          "offspring, which algorithm = 'aging' has not; use "
                                          "nsga2 or mu_plus_lambda, or rule = 'median'"):
        config_from_dict(tiny_dict(algorithm="aging", search__fidelity=RUNGS))
    cfg = config_from_dict(tiny_dict(search__fidelity=RUNGS))
    assert cfg.search.fidelity == FidelityConfig((0.25, 1.0), 0.5, False, "halving", 5)
    assert cfg.to_dict()["search"]["fidelity"] == RUNGS
    assert "fidelity" not in tiny_config().to_dict()["search"]  # off: recorded as before


def test_rung_steps_and_keys() -> None:
    fid = FidelityConfig((0.25, 0.5, 1.0), 0.5)
    assert fid.steps(8) == [2, 4, 8]
    assert fid.steps(2) == [1, 2, 3]  # at least one step per rung
    assert fid.steps(10) == [2, 5, 10]  # round half to even, as Python rounds
    assert [fid.promoted(n) for n in (1, 2, 3, 8)] == [1, 1, 2, 4]
    assert rung_key("g001-002", 0, 2) == "g001-002@r0" and rung_key("g001-002", 2, 2) == "g001-002"
    assert individual_of("g001-002@r1") == individual_of("g001-002") == "g001-002"


def _rows(run_dir: Path) -> dict[str, dict]:
    db = sqlite3.connect(run_dir / "ledger.sqlite")
    db.row_factory = sqlite3.Row
    try:
        return {r["uid"]: dict(r) for r in db.execute("SELECT * FROM evaluations ORDER BY seq")}
    finally:
        db.close()


@pytest.fixture(scope="module", params=["nsga2", "mu_plus_lambda"])
def rung_run(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("rungs") / request.param
    run_search(tiny_config(seed=3, epochs=2, algorithm=request.param, search__fidelity=RUNGS),
               out, progress=False)
    return request.param, out


def test_promoted_children_are_the_oracle_of_the_recorded_rung0_results(
        rung_run: tuple[str, Path]) -> None:
    algorithm, out = rung_run
    run, rows = load_run(out), _rows(out)
    task = load_task("mnist1d", n_train=200)
    weights = objective_weights(task.outputs, "parameters")
    by_gen: dict[int, list[str]] = {}
    for ind in run.individuals:
        if ind.generation > 0 and ind.evaluation is not None \
                and ind.evaluation.status != "duplicate":
            by_gen.setdefault(ind.generation, []).append(ind.uid)
    promoted_somewhere = stopped_somewhere = False
    for uids in by_gen.values():
        rung0 = {u: rows[f"{u}@r0"] for u in uids}
        ok = [u for u in uids if rung0[u]["status"] == "ok"]
        k = min(math.ceil(0.5 * len(uids)), len(ok))
        objs = {u: json.loads(rung0[u]["objectives"]) for u in ok}
        if algorithm == "nsga2":
            cls = fitness_class(weights)
            chosen = {m.uid for m in tools.selNSGA2([Member(u, objs[u], cls) for u in ok], k,
                                                    nd="log")}
        else:
            chosen = set(sorted(ok, key=lambda u: -scalar(objs[u], task.outputs))[:k])
        full = {u for u in uids if u in rows}  # the last rung's row is keyed by the uid
        assert full == chosen
        promoted_somewhere |= bool(full)
        stopped_somewhere |= bool(set(uids) - full)
    assert promoted_somewhere and stopped_somewhere


def test_every_rung_is_recorded_with_its_fidelity_and_steps(rung_run: tuple[str, Path]) -> None:
    _, out = rung_run
    run, rows = load_run(out), _rows(out)
    fid = FidelityConfig((0.25, 1.0), 0.5)
    for ind in run.individuals:
        ev = ind.evaluation
        assert ev is not None
        cap = Budget(epochs=2).step_cap(200, ind.genome.hyper.batch_size)
        if ind.generation == 0:
            assert (ev.uid, ev.rung, ev.fidelity, ev.steps, ind.rungs) == (ind.uid, 0, 1.0, cap, ())
            continue
        if ev.status == "duplicate":
            continue
        (r0,) = ind.rungs
        assert (r0.uid, r0.rung, r0.fidelity, r0.steps) == (f"{ind.uid}@r0", 0, 0.25,
                                                            fid.steps(cap)[0])
        assert rows[r0.uid]["fidelity"] == 0.25 and rows[r0.uid]["rung"] == 0
        if ind.uid in rows:  # promoted: trained the remaining steps from its rung-0 weights
            assert (ev.uid, ev.rung, ev.fidelity, ev.steps) == (ind.uid, 1, 1.0,
                                                                cap - r0.steps)
        else:  # stopped: its evaluation is its rung-0 record
            assert ev == r0
        for rec in (r0, ev):
            assert file_sha256(out / "weights" / f"{rec.uid}.pt") == rec.weights_sha256
    spent = sum(r["steps"] for r in rows.values() if r["status"] != "duplicate")
    assert run.meta.steps_spent == run.hypervolume[-1].steps_done == spent
    assert [p.uid for p in run.hypervolume] == list(rows)  # one point per row, in seq order
    full = {i.uid for i in run.ok()}
    assert all(u in full for pop in run.populations.values() for u in pop)
    assert {i.uid for i in run.pareto_front()} <= full


def test_a_promoted_child_starts_from_its_own_rung_weights(rung_run: tuple[str, Path]) -> None:
    _, out = rung_run
    run = load_run(out)
    child = next(i for i in run.individuals if i.rungs and i.evaluation is not None
                 and i.evaluation.rung == 1)
    search = Search(tiny_config(seed=3, epochs=2, algorithm=run.config.search.algorithm,
                                search__fidelity=RUNGS), out, progress=False)
    try:
        cand = Candidate(child.uid, child.generation, child.slot, child.genome, child.seed)
        req = search.rungs.rung_request(cand, 1)
    finally:
        search.close()
    assert child.evaluation is not None
    assert (req.uid, req.max_steps) == (child.uid, child.evaluation.steps)
    state = torch.load(out / "weights" / f"{child.uid}@r0.pt", weights_only=True)
    assert req.inherit is not None
    assert req.inherit.parents == (str(out / "weights" / f"{child.uid}@r0.pt"),)
    model = prepare(req).model.state_dict()
    assert model.keys() == state.keys()
    assert all(torch.equal(model[k], v) for k, v in state.items())


def test_the_default_config_records_what_it_did_before(tmp_path: Path) -> None:
    plain, off = tmp_path / "plain", tmp_path / "off"
    run_search(tiny_config(seed=3), plain, progress=False)
    run_search(tiny_config(seed=3, search__fidelity={}), off, progress=False)
    assert run_contents(plain) == run_contents(off)
    rows = _rows(plain)
    assert all(individual_of(u) == u and r["rung"] == 0 and r["fidelity"] == 1.0
               for u, r in rows.items())
    with Ledger(plain) as ledger:  # the recorded config, as before the key existed
        assert "fidelity" not in ledger.meta("config")["search"]


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [9])
def test_killed_and_resumed_rung_run_equals_uninterrupted(kill_at: int, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "cfg.toml", seed=4, epochs=2, generations=3,
                       search__fidelity=RUNGS)
    clean = tmp_path / "clean"
    run_search(cfg, clean, progress=False)  # in-process: same engine, no interpreter start
    expected = run_contents(clean)
    assert any(i["rungs"] for i in expected["individuals"].values())
    killed = tmp_path / "killed"
    kill_and_resume(cfg, killed, kill_at)
    assert run_contents(killed) == expected


def test_stopped_select_lets_stopped_children_compete(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run_search(tiny_config(seed=3, epochs=2, generations=3,
                           search__fidelity={**RUNGS, "stopped_select": True}),
               out, progress=False)
    run = load_run(out)
    task = load_task("mnist1d", n_train=200)
    cls = fitness_class(objective_weights(task.outputs, "parameters"))
    objs = {i.uid: list(i.objectives) for i in run.individuals}
    stopped = {i.uid for i in run.individuals
               if i.evaluation is not None and i.evaluation.fidelity < 1.0}
    assert stopped
    for gen in range(1, 4):
        children = [i.uid for i in run.individuals if i.generation == gen]
        pool = run.populations[gen - 1] + children  # every child enters, stopped ones too
        want = [m.uid for m in tools.selNSGA2([Member(u, objs[u], cls) for u in pool],
                                              len(run.populations[0]), nd="log")]
        assert run.populations[gen] == want
    assert not {u for pop in run.populations.values() for u in pop} <= {i.uid for i in run.ok()}


def test_a_ledger_without_the_rung_columns_loads_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cfg = tiny_config(seed=3, generations=1)
    run_search(cfg, out, progress=False)
    before = run_contents(out)
    db = sqlite3.connect(out / "ledger.sqlite")
    db.execute("ALTER TABLE evaluations DROP COLUMN rung")
    db.execute("ALTER TABLE evaluations DROP COLUMN fidelity")
    db.commit()
    db.close()
    assert run_contents(out) == before  # read with their defaults: rung 0, fidelity 1.0
    run_search(cfg, out, progress=False)  # opened for writing: the columns are added
    assert {"rung", "fidelity"} <= set(_rows(out)[next(iter(_rows(out)))])
    assert run_contents(out) == before


@pytest.mark.parametrize("algorithm", ["nsga2", "aging"])
def test_rule_all_takes_every_child_through_every_rung(tmp_path: Path, algorithm: str) -> None:
    """Rule "all" stops nobody: every new child has a record at each rung below the last and
    its full-budget record (what a rank correlation between rungs needs)."""
    fid = {"rungs": [1 / 9, 1 / 3, 1.0], "rule": "all"}
    run_search(tiny_config(seed=3, epochs=2, algorithm=algorithm, search__fidelity=fid),
               tmp_path / "run", progress=False)
    run = load_run(tmp_path / "run")
    children = [i for i in run.individuals if i.generation > 0 and i.evaluation is not None
                and i.evaluation.status == "ok"]
    assert children
    for ind in children:
        assert [r.rung for r in ind.rungs] == [0, 1]
        assert ind.evaluation is not None and ind.evaluation.rung == 2
        assert ind.evaluation.fidelity == 1.0
    with pytest.raises(ConfigError, match="rule = 'all' stops no child, leave keep out"):
        SearchConfig(fidelity={**fid, "keep": 0.5})
