"""Reference classifier, sample score and the on-disk cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nas_ops.errors import TaskError
from nas_ops.tasks import load_task, reference
from nas_ops.tasks.reference import inception_score


def test_inception_score_bounds() -> None:
    confident = torch.eye(4).repeat(5, 1)  # 20 confident, balanced predictions
    assert inception_score(confident) == pytest.approx(4.0, rel=1e-6)
    assert inception_score(torch.full((6, 4), 0.25)) == pytest.approx(1.0)
    assert inception_score(torch.tensor([[1.0, 0.0]] * 3)) == pytest.approx(1.0)


def test_real_images_beat_noise_and_reconstruction_accuracy(fresh_cache: Path) -> None:
    task = load_task("digits")
    x, y = task.test["reconstruction"], task.test["class"]
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
    real_score, noise_score = task.sample_score(x), task.sample_score(noise)
    assert 1.0 <= noise_score < real_score <= 10.0
    assert real_score > 7.0
    model = task.reference_classifier()
    with torch.no_grad():
        own = float((model(x).argmax(dim=1) == y).double().mean())
    assert own > 0.9
    assert task.reference_accuracy(x, y) == own  # perfect reconstructions: the model's accuracy
    assert task.reference_accuracy(task.test["x"], y) == own  # image-shaped samples are flattened


def test_cache_file_is_created_and_reused(fresh_cache: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    task = load_task("mnist1d", n_train=400)
    path = reference.reference_path(task)
    assert path.parent == fresh_cache / "reference" and path.name.startswith("mnist1d-")
    first = task.reference_classifier()
    assert path.is_file() and not list(path.parent.glob("*.tmp"))
    assert task.reference_classifier() is first  # memory cache
    reference._MEMORY.clear()

    def no_training(*args: object) -> None:
        raise AssertionError("the cached state_dict should have been loaded")

    monkeypatch.setattr(reference, "_train", no_training)
    second = task.reference_classifier()
    assert second is not first
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    # another training set (another seed) gets another file
    assert reference.reference_path(load_task("mnist1d", n_train=400, seed=1)) != path


def test_training_is_deterministic(fresh_cache: Path) -> None:
    task = load_task("mnist1d", n_train=300)
    x = task.train["reconstruction"]
    y = task.train["class"]
    a, b = reference._train(x, y, 10), reference._train(x, y, 10)
    for wa, wb in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(wa, wb)


def test_bad_samples(fresh_cache: Path) -> None:
    task = load_task("digits", n_train=100, outputs="class,reconstruction")
    with pytest.raises(TaskError, match="samples have 10 values each"):
        task.sample_score(torch.zeros(3, 10))
    with pytest.raises(TaskError, match="as many labels as samples"):
        task.reference_accuracy(torch.zeros(3, 64), torch.zeros(2, dtype=torch.long))
