"""The capacity study trains with the training module's optimizer factory: Adam gives exactly
what the study's own Adam loop gave, and every other name is the optimizer a search gets."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from nas_ops.capacity.architectures import build
from nas_ops.capacity.config import parse_config
from nas_ops.capacity.signals import make_task
from nas_ops.capacity.study import fit_mse, run_study, train
from nas_ops.errors import ConfigError
from nas_ops.rng import generator
from nas_ops.training import SGD_MOMENTUM
from tests.configs import CAPACITY_GP, UNET_RELU

TINY = CAPACITY_GP.replace("epochs = 5\n", "epochs = 5\nbatch_size = 8\n") + UNET_RELU
# run_study on TINY before the study used the factory (its own torch.optim.Adam loop), on the
# project's 2-core CPU machine
BEFORE = {"train_loss": 0.8681852645815047, "test_loss": 0.6504984274919257, "capacity": 19.5}


def setup(optimizer: str = "adam"):  # type: ignore[no-untyped-def]
    cfg = parse_config(TINY.replace("[study]", f'[study]\noptimizer = "{optimizer}"'))
    s = cfg.study
    task = make_task(cfg.tasks[0], s.signal_length, s.n_train, s.n_test,
                     generator(s.seed, "capacity-task", 0))
    return cfg, task, lambda: build(cfg.architectures[0], s.signal_length, s.seed)


def test_adam_results_are_the_former_loops() -> None:
    cfg = parse_config(TINY)
    assert cfg.study.optimizer == "adam"
    (rec,) = run_study(cfg, progress=lambda _: None)
    got = {"train_loss": rec.train_loss, "test_loss": rec.test_loss, "capacity": rec.capacity}
    assert got == pytest.approx(BEFORE, rel=1e-9)
    cfg, task, model = setup("adam")
    ours, theirs = model(), model()
    s = cfg.study
    expected = fit_mse(theirs, task, torch.optim.Adam(theirs.parameters(), lr=s.learning_rate),
                       s.epochs, s.batch_size, 7)  # the study's former optimizer
    assert train(ours, task, s, 7) == expected  # exactly: the same optimizer, the same steps
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)


def test_another_name_is_the_optimizer_a_search_gets() -> None:
    cfg, task, model = setup("sgd")
    s = cfg.study
    theirs = model()
    sgd = torch.optim.SGD(theirs.parameters(), lr=s.learning_rate, momentum=SGD_MOMENTUM)
    expected = fit_mse(theirs, task, sgd, s.epochs, s.batch_size, 7)
    assert train(model(), task, s, 7) == expected
    assert train(model(), task, replace(s, optimizer="adam"), 7) != expected
    rms = train(model(), task, replace(s, optimizer="rmsprop"), 7)
    assert rms not in (expected, train(model(), task, replace(s, optimizer="adam"), 7))


def test_an_unknown_optimizer_is_one_line_naming_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(TINY.replace("[study]", '[study]\noptimizer = "adamw"'), "c.toml")
    assert str(info.value) == ("c.toml: study.optimizer: unknown optimizer 'adamw'; choose one "
                               "of: adam, sgd, rmsprop")
