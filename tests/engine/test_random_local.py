"""Random search and local search, added through the public seam alone, against oracles
computed by hand from the space's own sampling stream and a known score of every genome."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nas_ops import load_run
from nas_ops.engine.search import Search
from nas_ops.errors import ConfigError
from nas_ops.evaluation import InProcessEvaluator
from nas_ops.genome import from_dict, structural_hash
from nas_ops.records import EvalRecord, EvalRequest
from nas_ops.rng import generator
from nas_ops.spaces import get_space
from nas_ops.tasks import load_task
from tests.configs import tiny_config


def score(genome: dict) -> float:
    """The known fitness of a genome: a number in (0, 1) from its structural hash."""
    digest = hashlib.sha256(structural_hash(from_dict(genome)).encode()).hexdigest()
    return (int(digest[:8], 16) + 1) / (16 ** 8 + 2)


class ScoreEvaluator(InProcessEvaluator):
    """Answers at once: every output scores ``score(genome)`` (accuracy a; errors 10^-4a, whose
    scalarized score is a too), so a genome's scalar fitness is exactly its score."""

    name = "score"

    def answer(self, request: EvalRequest) -> EvalRecord:
        a = score(request.genome)
        err = 10 ** (-4 * a)
        return EvalRecord(uid=request.uid, status="ok", steps=1,
                          val={"class": {"accuracy": a}, "histogram": {"mse": err},
                               "reconstruction": {"recon_mse": err}},
                          complexity={"parameters": 1000})


def _run(tmp_path: Path, **over: object) -> tuple[object, object]:
    cfg = tiny_config(evaluation__inherit_weights=False, **over)  # no weights files here
    search = Search(cfg, tmp_path / "run", progress=False, evaluator=ScoreEvaluator())
    summary = search.run()
    return cfg, summary


def test_random_search_evaluates_the_sampling_stream_and_keeps_the_best(tmp_path: Path) -> None:
    cfg, summary = _run(tmp_path, seed=3, algorithm="random", population=4, budget__max_evals=18)
    run = load_run(tmp_path / "run")
    space, task = get_space("multinet"), load_task("mnist1d", n_train=200)
    assert len(run.individuals) == 18 and not run.variations
    scores = {}
    for ind in run.individuals:
        gen, slot = ind.generation, ind.slot
        expected = space.sample(task, generator(3, "init", gen * 4 + slot))  # draw gen*4+slot
        assert ind.uid == f"g{gen:03d}-{slot:03d}" and not ind.parents
        assert structural_hash(ind.genome) == structural_hash(expected)
        scores[ind.uid] = score(run_genome_dict(ind.genome))
    best4 = sorted(scores, key=lambda u: -scores[u])[:4]
    assert run.populations[max(run.populations)] == best4
    assert [len(p) for p in run.populations.values()] == [4] * 5  # 4 + 4 + 4 + 4 + 2


def run_genome_dict(genome: object) -> dict:
    from nas_ops.genome import to_dict

    return to_dict(genome)


def test_local_search_climbs_to_the_best_neighbour_and_restarts_at_a_local_optimum(
        tmp_path: Path) -> None:
    _run(tmp_path, seed=4, algorithm="local", population=3, offspring=3, generations=12,
         budget__max_evals=51, search__crossover_rate=0.0)
    run = load_run(tmp_path / "run")
    by_gen: dict[int, list] = {}
    for ind in run.individuals:
        by_gen.setdefault(ind.generation, []).append(ind)
    s = {i.uid: score(run_genome_dict(i.genome)) for i in run.individuals}
    space, task = get_space("multinet"), load_task("mnist1d", n_train=200)
    current = max((i.uid for i in by_gen[0]), key=lambda u: s[u])
    moves = restarts = 0
    for gen in range(1, 13):
        children = [i for i in by_gen[gen] if not i.uid.endswith("-r")]
        assert children and all(tuple(i.parents) == (current,) for i in children)
        best = max(children, key=lambda i: s[i.uid])
        restart = [i for i in by_gen[gen] if i.uid.endswith("-r")]
        if s[best.uid] > s[current]:
            assert not restart
            current, moves = best.uid, moves + 1
        else:  # a local optimum: a fresh genome, draw population + gen of the sampling stream
            (fresh,) = restart
            expected = space.sample(task, generator(4, "init", 3 + gen))
            assert structural_hash(fresh.genome) == structural_hash(expected)
            assert not fresh.parents
            current, restarts = fresh.uid, restarts + 1
    assert moves and restarts  # the oracle saw both branches
    final = sorted(s, key=lambda u: -s[u])[:3]
    assert sorted(run.populations[12]) == sorted(final)


@pytest.mark.parametrize(("algorithm", "key", "section", "message"), [
    ("random", "fidelity", {"rungs": [0.5, 1.0], "keep": 0.5},
     "rule = 'halving' is not used by algorithm = 'random' \\(rules it supports: none\\)"),
    ("local", "prefilter", {"proxy": "params"},
     "search.prefilter is not used by algorithm = 'local'"),
])
def test_rungs_or_a_prefilter_an_algorithm_does_not_use_are_refused(
        tmp_path: Path, algorithm: str, key: str, section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Search(tiny_config(algorithm=algorithm, **{f"search__{key}": section}),
               tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()
