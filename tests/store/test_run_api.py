"""The run API on a real tiny search: Pareto front, best per output, trained models."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import nas_ops
from nas_ops.engine import SearchSummary
from nas_ops.errors import NasOpsError, UnknownNameError
from nas_ops.genome import to_json
from nas_ops.store import Ledger, Run, load_run
from nas_ops.tasks import Task, load_task
from tests.configs import tiny_config


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SearchSummary]:
    out = tmp_path_factory.mktemp("run_api") / "run"
    return out, nas_ops.run_search(tiny_config(seed=2), out, progress=False)


@pytest.fixture(scope="module")
def task(searched: tuple[Path, SearchSummary]) -> Task:
    cfg = load_run(searched[0]).config.task
    return load_task(cfg.name, **cfg.options)


def test_objectives_describe_the_stored_values(searched: tuple[Path, SearchSummary]) -> None:
    run = load_run(searched[0])
    objs = run.objectives()
    assert [o.name for o in objs] == ["class accuracy", "histogram mse",
                                      "reconstruction recon_mse", "parameters"]
    assert [o.higher_is_better for o in objs] == [True, False, False, False]
    for ind in run.ok():
        assert len(ind.objectives) == len(objs)
        assert ind.evaluation is not None
        assert ind.objectives[0] == ind.evaluation.val["class"]["accuracy"]  # stored as is
        assert ind.objectives[3] == ind.evaluation.complexity["parameters"]


def test_without_a_complexity_objective_only_outputs_count(
        searched: tuple[Path, SearchSummary]) -> None:
    run = load_run(searched[0])
    search = replace(run.config.search, complexity_objective="none")
    run.meta = replace(run.meta, config=replace(run.config, search=search))
    assert [o.output for o in run.objectives()] == ["class", "histogram", "reconstruction"]


def test_pareto_front_and_best_equal_the_search_summary(
        searched: tuple[Path, SearchSummary]) -> None:
    out, summary = searched
    run = load_run(out)
    assert summary.front and [i.uid for i in run.pareto_front()] == summary.front
    for k, name in enumerate(["class", "histogram", "reconstruction"]):
        best = run.best(name)
        assert (best.uid, best.objectives[k]) == summary.best[name]


def test_best_of_an_unknown_output_lists_the_outputs(
        searched: tuple[Path, SearchSummary]) -> None:
    with pytest.raises(UnknownNameError, match="klass.*class, histogram, reconstruction") as err:
        load_run(searched[0]).best("klass")
    assert "\n" not in str(err.value)


def test_model_has_the_ledger_test_metrics(searched: tuple[Path, SearchSummary],
                                           task: Task) -> None:
    run = load_run(searched[0])
    ind = run.best("class")
    model = run.model(ind.uid)
    assert ind.evaluation is not None and not model.training
    assert nas_ops.evaluate(model, task, task.test) == ind.evaluation.test


def test_forward_outputs_are_the_predictions(searched: tuple[Path, SearchSummary],
                                             task: Task) -> None:
    """docs/ledger.md "Predicting": the argmax of the class logits gives the recorded test
    accuracy; every output comes back, shaped (N, size)."""
    import torch

    from nas_ops.phenotype import Forward

    run = load_run(searched[0])
    ind = run.best("class")
    model = run.model(ind.uid)
    with torch.no_grad():
        forward = model({i.id: task.test.tensors[i.id] for i in ind.genome.inputs})
    assert isinstance(forward, Forward)
    n = len(task.test)
    assert {k: tuple(v.shape) for k, v in forward.outputs.items()} == {
        o.id: (n, o.size) for o in ind.genome.outputs}
    labels = forward.outputs["class"].argmax(dim=1)
    accuracy = float((labels == task.test.tensors["class"]).float().mean())
    assert ind.evaluation is not None
    assert accuracy == pytest.approx(ind.evaluation.test["class"]["accuracy"], abs=1e-6)


def _with_duplicate(src: Path, dst: Path) -> tuple[Run, str, str]:
    """A copy of the run with one more individual recorded as a duplicate of its best."""
    shutil.copytree(src, dst)
    run = load_run(dst)
    orig = run.best("class")
    assert orig.evaluation is not None and orig.evaluation.status == "ok"
    dup = "g009-000"
    record = replace(orig.evaluation, uid=dup, status="duplicate", duplicate_of=orig.uid,
                     wall_time_s=0.0, steps=0, trained_networks=[], diagnosis=[])
    with Ledger(dst, "w") as ledger:
        ledger.add_individual(dup, 9, 0, to_json(orig.genome), orig.hash,
                              list(orig.parents), orig.operator, orig.seed)
        ledger.add_evaluation(record, list(orig.objectives))
    return load_run(dst), dup, orig.uid


def test_model_of_a_duplicate_follows_duplicate_of(searched: tuple[Path, SearchSummary],
                                                   task: Task, tmp_path: Path) -> None:
    run, dup, orig = _with_duplicate(searched[0], tmp_path / "run")
    assert not run.weights_path(dup).exists()
    assert run.trained_individual(dup).uid == orig
    ind = run.by_uid()[dup]
    assert ind.evaluation is not None
    assert nas_ops.evaluate(run.model(dup), task, task.test) == ind.evaluation.test


def test_missing_or_corrupt_weights_are_one_clear_error(searched: tuple[Path, SearchSummary],
                                                        tmp_path: Path) -> None:
    run, dup, orig = _with_duplicate(searched[0], tmp_path / "run")
    path = run.weights_path(orig)
    path.write_bytes(b"not a torch file")
    with pytest.raises(NasOpsError, match=f"{orig}.* not the one its evaluation wrote") as err:
        run.model(orig)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    # loadable weights of another individual: the checksum tells them apart
    other = next(i.uid for i in run.ok() if i.uid not in (orig, dup)
                 and i.evaluation is not None and i.evaluation.status == "ok")
    path.write_bytes(run.weights_path(other).read_bytes())
    with pytest.raises(NasOpsError, match="sha256 differs"):
        run.model(orig)
    path.unlink()
    with pytest.raises(NasOpsError, match=f"weights of {orig} .*duplicate {dup}.* missing"):
        run.model(dup)
    with pytest.raises(UnknownNameError, match="individual 'nope'"):
        run.model("nope")


def test_failed_individual_has_no_model(searched: tuple[Path, SearchSummary]) -> None:
    run = load_run(searched[0])
    ind = run.individuals[0]
    assert ind.evaluation is not None
    failed = replace(ind, evaluation=replace(ind.evaluation, status="failed", error="boom"))
    run.individuals[0] = failed
    with pytest.raises(NasOpsError, match="has no trained model: it failed: boom"):
        run.model(ind.uid)


def test_reading_a_run_imports_no_torch(searched: tuple[Path, SearchSummary]) -> None:
    code = ("import sys, nas_ops; run = nas_ops.load_run(sys.argv[1]); run.pareto_front(); "
            "run.best('class'); run.objectives(); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    res = subprocess.run([sys.executable, "-c", code, str(searched[0])], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
