"""Sample quality on mnist1d (offline data): real held-out signals vs noise vs copies of the
training set, and the metric as a generation output's primary metric."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nas_ops.config import TaskConfig
from nas_ops.errors import ConfigError, TaskError
from nas_ops.tasks import load_task
from nas_ops.tasks.base import OutputSpec


@pytest.fixture(scope="module")
def mnist1d_quality(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, float]]:
    """Sample quality of held-out real signals (the test split), Gaussian noise with the
    training signals' per-position mean and sd, copies of training signals and copies with
    small noise, all against the validation split (750 signals each)."""
    from nas_ops.tasks import reference
    patch = pytest.MonkeyPatch()
    patch.setenv("NAS_OPS_CACHE", str(tmp_path_factory.mktemp("cache")))
    saved = dict(reference._MEMORY)
    reference._MEMORY.clear()
    try:
        task = load_task("mnist1d")
        real, train = task.test["reconstruction"], task.train["reconstruction"]
        gen = torch.Generator().manual_seed(0)
        noise = train.mean(0) + train.std(0) * torch.randn(real.shape, generator=gen)
        copies = train[torch.randperm(len(train), generator=gen)[:len(real)]]
        jittered = copies + 0.02 * torch.randn(copies.shape, generator=gen)
        return {name: task.sample_quality(x) for name, x in (
            ("real", real), ("noise", noise), ("copies", copies), ("jittered", jittered),
            ("validation", task.val["reconstruction"]))}
    finally:
        reference._MEMORY.clear()
        reference._MEMORY.update(saved)
        patch.undo()


def test_frechet_separates_real_signals_from_noise(
        mnist1d_quality: dict[str, dict[str, float]]) -> None:
    q = mnist1d_quality
    assert q["validation"]["frechet"] < 1e-6  # the reference itself
    assert 4.0 < q["real"]["frechet"] < 12.0  # measured 7.55: the bias of 750 vs 750 samples
    assert q["noise"]["frechet"] > 5.0 * q["real"]["frechet"]  # measured 57.3 (7.6x)


def test_precision_and_recall_separate_real_signals_from_noise(
        mnist1d_quality: dict[str, dict[str, float]]) -> None:
    real, noise = mnist1d_quality["real"], mnist1d_quality["noise"]
    assert real["precision"] > 0.8 and real["recall"] > 0.8  # measured 0.86, 0.86
    assert noise["precision"] < 0.35  # measured 0.23
    assert noise["precision"] < real["precision"] / 3
    assert noise["recall"] < real["recall"] - 0.15  # measured 0.59


def test_copy_rate_flags_copies_of_the_training_set(
        mnist1d_quality: dict[str, dict[str, float]]) -> None:
    q = mnist1d_quality
    assert q["real"]["copy_rate"] < 0.1  # measured 0.037; 0.05 by construction on average
    assert q["noise"]["copy_rate"] < 0.01
    assert q["copies"]["copy_rate"] == 1.0
    assert q["jittered"]["copy_rate"] > 0.95  # measured 1.0
    # Frechet distance and precision cannot tell copies from real signals: they are real
    assert q["copies"]["frechet"] < 1.2 * q["real"]["frechet"]
    assert q["copies"]["precision"] > 0.8


def test_sample_metric_is_validated_at_config_time() -> None:
    with pytest.raises(ConfigError, match=r"^task.sample_metric = 'fid' is not valid; choose "
                                          r"one of: recon_mse, frechet, precision, recall$"):
        TaskConfig(sample_metric="fid")
    with pytest.raises(TaskError, match="only a generation output takes a metric"):
        OutputSpec("class", "classification", 10, metric="frechet")


def test_sample_metric_needs_a_classification_and_a_generation_output() -> None:
    no_classifier = load_task("mnist1d", n_train=50, outputs="histogram,reconstruction")
    with pytest.raises(TaskError, match="has no classification output, hence no reference"):
        no_classifier.with_sample_metric("frechet")
    with pytest.raises(TaskError, match="has no generation output"):
        load_task("mnist1d", n_train=50, outputs="class").with_sample_metric("recall")


def test_a_search_refuses_sample_quality_of_a_task_without_a_classifier(tmp_path: Path) -> None:
    from nas_ops.engine import run_search
    from tests.configs import tiny_config

    for over, message in (
            ({"task__sample_metric": "frechet"}, "has no classification output"),
            ({"evaluation__sample_quality": True}, "evaluation.sample_quality needs a task")):
        cfg = tiny_config(task__outputs="histogram,reconstruction", **over)
        with pytest.raises((TaskError, ConfigError), match=message):
            run_search(cfg, tmp_path / "run", progress=False)
        assert not (tmp_path / "run").exists()


def test_ranked_output_takes_the_metric_and_its_direction() -> None:
    task = load_task("mnist1d", n_train=50).with_sample_metric("frechet")
    rec = task.output("reconstruction")
    assert (rec.primary_metric, rec.higher_is_better, rec.samples_ranked) == \
        ("frechet", False, True)
    assert task.output("class").primary_metric == "accuracy"
    recall = task.with_sample_metric("recall").output("reconstruction")
    assert (recall.primary_metric, recall.higher_is_better) == ("recall", True)


def test_sample_metric_ranks_a_search(tmp_path: Path) -> None:
    from nas_ops import load_run
    from nas_ops.engine import run_search
    from tests.configs import tiny_config

    cfg = tiny_config(population=2, offspring=1, generations=1, task__n_eval=60,
                      task__sample_metric="frechet")
    run_search(cfg, tmp_path / "run", progress=False)
    run = load_run(tmp_path / "run")
    objectives = run.objectives()
    assert [(o.output, o.metric, o.higher_is_better) for o in objectives] == [
        ("class", "accuracy", True), ("histogram", "mse", False),
        ("reconstruction", "frechet", False), (None, "parameters", False)]
    for ind in run.ok():
        assert ind.evaluation is not None
        val, test = ind.evaluation.val["reconstruction"], ind.evaluation.test["reconstruction"]
        assert set(val) == set(test) == {"recon_mse", "frechet", "precision", "recall",
                                         "copy_rate"}
        assert ind.objectives[2] == val["frechet"] > 0.0
