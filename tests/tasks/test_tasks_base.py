"""InputSpec / OutputSpec / Split / Task: validation, lookup, subsets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nas_ops.errors import TaskError, UnknownNameError
from nas_ops.tasks import InputSpec, OutputSpec, Split, Task


def _split(n: int) -> Split:
    x = torch.arange(n * 6, dtype=torch.float32).reshape(n, 1, 2, 3) / (n * 6)
    return Split({"img": x, "label": torch.arange(n) % 3, "rec": x.reshape(n, -1)})


def _task(**changes: object) -> Task:
    fields: dict[str, object] = {
        "name": "toy",
        "inputs": (InputSpec("img", "image", (1, 2, 3)),),
        "outputs": (OutputSpec("label", "classification", 3),
                    OutputSpec("rec", "generation", 6, source="img")),
        "train": _split(5), "val": _split(2), "test": _split(2),
    }
    fields.update(changes)
    return Task(**fields)  # type: ignore[arg-type]


def test_input_spec_size_and_rank_check() -> None:
    assert InputSpec("x", "image", (3, 4, 5)).size == 60
    assert InputSpec("x", "signal", (1, 40)).size == 40
    with pytest.raises(TaskError, match="a vector needs 1 positive dimensions"):
        InputSpec("x", "vector", (2, 3))
    with pytest.raises(TaskError, match="unknown dtype 'audio'"):
        InputSpec("x", "audio", (3,))  # type: ignore[arg-type]


def test_output_spec_rules() -> None:
    with pytest.raises(TaskError, match="source input is required"):
        OutputSpec("r", "generation", 4)
    with pytest.raises(TaskError, match="unknown kind"):
        OutputSpec("r", "ranking", 4)  # type: ignore[arg-type]


def test_split_len_subset_to() -> None:
    split = _split(5)
    assert len(split) == 5
    sub = split.subset([4, 0])
    assert len(sub) == 2
    assert sub["label"].tolist() == [1, 0]
    assert torch.equal(sub["img"][1], split["img"][0])
    assert len(split.subset(np.array([True, False, True, False, False]))) == 2
    assert len(split.subset(slice(1, 4))) == 3
    assert split.to("cpu")["img"].device.type == "cpu"
    with pytest.raises(TaskError, match="different lengths"):
        Split({"a": torch.zeros(3), "b": torch.zeros(4)})


def test_task_lookup_and_unknown_names() -> None:
    task = _task()
    assert task.input("img").size == 6
    assert task.output("rec").source == "img"
    with pytest.raises(UnknownNameError, match="valid choices: label, rec"):
        task.output("hist")
    with pytest.raises(UnknownNameError, match="valid choices: img"):
        task.input("x")


def test_task_rejects_bad_tensors() -> None:
    bad = _split(5)
    bad.tensors["label"] = bad.tensors["label"].float()
    with pytest.raises(TaskError, match="target 'label' must be int64"):
        _task(train=bad)
    out_of_range = _split(5)
    out_of_range.tensors["label"] = torch.full((5,), 3)
    with pytest.raises(TaskError, match=r"must lie in \[0, 3\)"):
        _task(val=out_of_range)
    with pytest.raises(TaskError, match="no tensor 'rec'"):
        _task(test=Split({"img": torch.zeros(2, 1, 2, 3), "label": torch.zeros(2).long()}))
    with pytest.raises(TaskError, match="size 5 != size 6"):
        _task(outputs=(OutputSpec("rec", "generation", 5, source="img"),))


def test_sample_score_needs_classification_output() -> None:
    task = _task(outputs=(OutputSpec("rec", "generation", 6, source="img"),))
    with pytest.raises(TaskError, match="no classification output"):
        task.sample_score(torch.zeros(2, 6))
