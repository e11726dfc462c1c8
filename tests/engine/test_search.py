"""The search loop on real (tiny) trainings: algorithms, determinism, provenance, failures."""

import pytest

from nas_ops import load_run
from nas_ops.cli import main
from nas_ops.config import config_from_dict, load_config
from nas_ops.engine import run_search
from nas_ops.engine.individuals import Candidate
from nas_ops.engine.search import Search
from nas_ops.errors import AllFailedError, ConfigError
from nas_ops.store import run_contents


def evaluate_now(search, cands):
    """Evaluate one batch now with the search's evaluator, outside its loop (public seam)."""
    for step in search.evaluate(cands):
        for cand in step.submit:
            search.evaluator.submit(search.request(cand))
        while any(c.uid not in search.archive.told for c in step.wait):
            record = next(iter(search.evaluator.as_completed()))
            search.archive.told[record.uid] = record


@pytest.mark.parametrize("algorithm", ["nsga2", "mu_plus_lambda", "aging"])
def test_each_algorithm_runs_and_records_provenance(tiny_config, tmp_path, algorithm):
    cfg = load_config(tiny_config(seed=2, algorithm=algorithm))
    summary = run_search(cfg, tmp_path / "run", progress=False)
    assert summary.evaluations == cfg.max_evals == 12
    run = load_run(tmp_path / "run")
    assert run.meta.status == "finished"
    assert run.meta.versions["torch"]
    assert len(run.individuals) == 12
    by_uid = run.by_uid()
    for ind in run.individuals:
        assert ind.evaluation is not None
        assert ind.evaluation.status in ("ok", "duplicate", "failed")
        if ind.generation > 0:
            assert ind.operator is not None and ind.parents
            assert all(p in by_uid for p in ind.parents)
            made = [v for v in run.variations if v.child == ind.uid]
            assert len(made) == 1 and made[0].event.operator == ind.operator
            assert made[0].event.decisions, "every random decision is recorded"
    # the final population holds population-size members, all evaluated
    last = run.populations[max(run.populations)]
    assert len(last) == 4 and all(by_uid[u].evaluation for u in last)
    assert run.checkpoints and run.checkpoints[-1]["evals_done"] == 12


def test_same_seed_same_ledger_any_number_of_workers(tiny_config, tmp_path):
    local = tiny_config(seed=5, backend="local", workers=1)
    pool = tiny_config(seed=5, backend="pool", workers=2)
    run_search(load_config(local), tmp_path / "a", progress=False)
    run_search(load_config(pool), tmp_path / "b", progress=False)
    a, b = run_contents(tmp_path / "a"), run_contents(tmp_path / "b")
    a.pop("config"), b.pop("config")
    assert a == b


def test_other_seed_gives_another_run(tiny_config, tmp_path):
    run_search(load_config(tiny_config(seed=5, generations=1)), tmp_path / "a", progress=False)
    run_search(load_config(tiny_config(seed=6, generations=1)), tmp_path / "b", progress=False)
    a, b = run_contents(tmp_path / "a"), run_contents(tmp_path / "b")
    assert a["individuals"] != b["individuals"]


def test_failed_evaluations_are_recorded_and_the_search_goes_on(tiny_config, tmp_path):
    cfg = load_config(tiny_config(seed=2, generations=1, epochs=50,
                                  extra="time_limit_s = 0.0001\n"))
    with pytest.raises(AllFailedError) as info:  # every one failed: run() says so (issue 25)
        run_search(cfg, tmp_path / "run", progress=False)
    summary = info.value.summary
    run = load_run(tmp_path / "run")
    assert summary.evaluations == 8
    failed = [i for i in run.individuals if i.evaluation.status == "failed"]
    assert failed and all("time limit" in i.evaluation.error for i in failed)
    assert all(i.objectives[-1] == 1e12 for i in failed)  # worst complexity objective


def test_duplicates_reuse_the_first_result(tiny_config, tmp_path):
    search = Search(load_config(tiny_config(seed=2)), tmp_path / "run", progress=False)
    search.start()
    genome = search.space.sample(search.task, __import__("numpy").random.default_rng(0))
    first = Candidate("g000-000", 0, 0, genome, 1)
    twin = Candidate("g000-001", 0, 1, genome, 2)
    evaluate_now(search, [first, twin])
    search.ledger.close()
    run = load_run(tmp_path / "run")
    twin_rec = run.by_uid()["g000-001"].evaluation
    assert twin_rec.status == "duplicate" and twin_rec.duplicate_of == "g000-000"
    assert twin_rec.val == run.by_uid()["g000-000"].evaluation.val
    assert twin_rec.steps == 0  # nothing was trained for it


@pytest.mark.parametrize(("data", "message"), [
    ({"search": {"algoritm": "nsga2"}}, "unknown key search.algoritm; valid keys: "),
    ({"search": {"algorithm": "cmaes"}}, "search.algorithm = 'cmaes' is not valid; choose one"),
    ({"budget": {"epochs": 0}}, "budget.epochs must be >= 1"),
    ({"evaluation": {"backend": "gpu"}}, "choose one of: auto, local, pool, batched, ray, table"),
    ({"searchh": {}}, "unknown section [searchh]"),
    ({"search": {"population": "8"}}, "search.population must be an integer"),
])
def test_bad_config_is_one_clear_line(data, message):
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert message in str(err.value)


def test_cli_bad_config_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[policy]\nname = 'clever'\n")
    out = tmp_path / "run"
    returncode = main(["search", str(cfg), "--out", str(out)])
    stderr = capsys.readouterr().err
    assert returncode == 2
    assert stderr.count("\n") == 1 and "policy.name = 'clever'" in stderr
    assert "Traceback" not in stderr
    assert not out.exists()


def test_a_duplicate_child_is_credited_as_nothing_new(tiny_config, tmp_path):
    """A bandit is credited -1 for a duplicate, even when the reused result beats the parent
    (otherwise an operator that returns better members' genomes is drawn forever, free)."""
    import numpy as np

    cfg = load_config(tiny_config(seed=2, extra='[policy]\nname = "adaptive"\n'))
    search = Search(cfg, tmp_path / "run", progress=False)
    search.start()
    rng = np.random.default_rng(0)
    a, b = (search.space.sample(search.task, rng) for _ in range(2))
    parent, other = Candidate("g000-000", 0, 0, a, 1), Candidate("g000-001", 0, 1, b, 2)
    evaluate_now(search, [parent, other])
    better, worse = sorted((parent, other), key=lambda c: -search.ranking.scalar(c.uid))
    twin = Candidate("g001-000", 1, 0, better.genome, 3)
    twin.operator, twin.parents = "swap_network", [worse.uid]
    evaluate_now(search, [twin])
    scalar = search.ranking.scalar
    assert twin.record.status == "duplicate" and scalar(twin.uid) > scalar(worse.uid)
    search.credit([twin])
    assert search.policy.state() == {"n": {"swap_network": 1}, "total": {"swap_network": -1.0}}
    search.ledger.close()
