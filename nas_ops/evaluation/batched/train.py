"""Training loop of a stacked group: :func:`nas_ops.training.fit` for many models at once.

Per model, exactly as sequential training: its own shuffle order (generator seeded with
``torch_seed(seed, "shuffle")``), its own keyed dropout masks and decoder noise (key
``torch_seed(seed, "train")``, drawn for all models at once), its own learning rate and loss
weights, gradient clipping to ``CLIP_NORM`` over its own trainable parameters, frozen networks
masked out (no gradient, eval mode). Adam, SGD and RMSprop are element-wise, so one update over
stacked tensors with a per-model learning rate is each model's own update; the formulas below are
torch's single-tensor implementations, with the constants of :mod:`nas_ops.training`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import Tensor

from nas_ops.evaluation.batched.layers import GroupNoise, Slot
from nas_ops.evaluation.batched.model import StackedModel
from nas_ops.rng import torch_seed
from nas_ops.tasks.base import Task
from nas_ops.training import (
    ADAM_BETAS,
    ADAM_EPS,
    CLIP_EPS,
    CLIP_NORM,
    RMSPROP_ALPHA,
    RMSPROP_EPS,
    SGD_MOMENTUM,
    check_optimizer,
)

ALIVE_CHECK_EVERY = 64


@dataclass
class GroupFit:
    """Outcome of training a group: optimizer steps, and per-model failures (index -> reason)."""

    steps: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def _per_model(t: Tensor, dim: int) -> Tensor:
    """Reshape a per-model vector ``(M,)`` to broadcast against a stacked ``dim``-d tensor."""
    return t.view(-1, *([1] * (dim - 1)))


class StackedOptimizer:
    """Adam / SGD (with momentum) / RMSprop over stacked tensors, as
    :func:`nas_ops.training.make_optimizer` builds them (an unknown name raises)."""

    def __init__(self, name: str, params: list[Slot], lrs: list[float],
                 device: torch.device) -> None:
        self.name, self.params = check_optimizer(name), params
        self.lr = torch.tensor(lrs, dtype=torch.float64)
        self.device = device
        self.state: list[list[Tensor]] = [[] for _ in params]
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        k = self.steps
        beta1, beta2 = ADAM_BETAS
        with torch.no_grad():
            if self.name == "adam":
                # step_size = lr / bias_correction1 in double, as torch computes it in Python
                size = (self.lr / (1 - beta1 ** k)).float().to(self.device)
                bc2_sqrt = (1 - beta2 ** k) ** 0.5
            else:
                size = self.lr.float().to(self.device)
            for slot, state in zip(self.params, self.state, strict=True):
                p, g = slot.data, slot.data.grad
                assert g is not None
                neg = _per_model(-size, p.dim())
                if self.name == "adam":
                    if not state:
                        state += [torch.zeros_like(p), torch.zeros_like(p)]
                    m, v = state
                    m.lerp_(g, 1 - beta1)
                    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                    denom = (v.sqrt() / bc2_sqrt).add_(ADAM_EPS)
                    p.add_(neg * m / denom)
                elif self.name == "sgd":
                    if not state:
                        state.append(g.clone())
                    else:
                        state[0].mul_(SGD_MOMENTUM).add_(g)
                    p.add_(neg * state[0])
                else:  # rmsprop
                    if not state:
                        state.append(torch.zeros_like(p))
                    sq = state[0]
                    sq.mul_(RMSPROP_ALPHA).addcmul_(g, g, value=1 - RMSPROP_ALPHA)
                    p.add_(neg * g / sq.sqrt().add_(RMSPROP_EPS))


def _mask_and_clip(model: StackedModel, trainable: dict[str, Tensor]) -> None:
    """Zero the gradients of frozen networks per model, then clip each model's total norm."""
    sq = torch.zeros(len(model.models), device=model.device)
    for slot in model.params:
        g = slot.data.grad
        assert g is not None
        g.mul_(_per_model(trainable[slot.net], g.dim()))
        sq += g.pow(2).flatten(1).sum(1)
    coef = (CLIP_NORM / (sq.sqrt() + CLIP_EPS)).clamp(max=1.0)
    for slot in model.params:
        g = slot.data.grad
        assert g is not None
        g.mul_(_per_model(coef, g.dim()))


def fit_group(model: StackedModel, task: Task, *, seeds: list[int], lrs: list[float],
              optimizer: str, batch_size: int, epochs: int, max_steps: int | None,
              train: dict[str, list[bool]], time_limit_s: float | None = None) -> GroupFit:
    """Train every model of ``model`` as :func:`nas_ops.training.fit` would, side by side.

    A model whose loss turns non-finite stops learning at that step (its loss is masked out and
    the others go on); this is tracked on the device, so no step waits for the GPU. With
    ``time_limit_s`` (per model, as in sequential training) the group stops once its wall time
    exceeds the limit times the number of models, and every model still training fails with the
    sequential message.
    """
    dev = model.device
    start = time.perf_counter()
    data = {k: v.to(dev) for k, v in task.train.tensors.items()}
    n = len(next(iter(data.values())))
    shuffles = [torch.Generator().manual_seed(torch_seed(s, "shuffle")) for s in seeds]
    noise = GroupNoise([torch_seed(s, "train") for s in seeds], dev)
    masks = {nid: torch.tensor(flags, dtype=torch.float32, device=dev)
             for nid, flags in train.items()}
    opt = StackedOptimizer(optimizer, model.params, lrs, dev)
    out = GroupFit()
    alive = torch.ones(len(seeds), dtype=torch.bool, device=dev)
    fail_step = torch.full((len(seeds),), -1, dtype=torch.long, device=dev)
    fail_loss = torch.zeros(len(seeds), device=dev)
    deadline = None if not time_limit_s else start + time_limit_s * len(seeds)
    for _ in range(epochs):
        orders = torch.stack([torch.randperm(n, generator=g) for g in shuffles]).to(dev)
        for lo in range(0, n, batch_size):
            idx = orders[:, lo: lo + batch_size]
            batch = {k: v[idx] for k, v in data.items()}
            noise.step = out.steps
            losses = model.losses(task, batch, train, noise)
            newly = alive & ~torch.isfinite(losses.detach())
            fail_step = torch.where(newly, out.steps, fail_step)
            fail_loss = torch.where(newly, losses.detach(), fail_loss)
            alive = alive & ~newly
            for slot in model.params:
                slot.data.grad = None
            torch.where(alive, losses, torch.zeros_like(losses)).sum().backward()
            _mask_and_clip(model, masks)
            opt.step()
            out.steps += 1
            if max_steps is not None and out.steps >= max_steps:
                return _failures(out, fail_step, fail_loss)
            if deadline is not None and time.perf_counter() > deadline:
                for m in torch.nonzero(alive).flatten().tolist():
                    out.failed[m] = (f"EvaluationError: time limit of {time_limit_s:g} s reached "
                                     f"at step {out.steps}")
                return _failures(out, fail_step, fail_loss)
            if out.steps % ALIVE_CHECK_EVERY == 0 and not bool(alive.any()):
                return _failures(out, fail_step, fail_loss)  # all failed (a sync per 64 steps)
    return _failures(out, fail_step, fail_loss)


def _failures(out: GroupFit, fail_step: Tensor, fail_loss: Tensor) -> GroupFit:
    """Record the models whose loss turned non-finite, with the sequential error text."""
    for m, (step, loss) in enumerate(zip(fail_step.tolist(), fail_loss.tolist(), strict=True)):
        if step >= 0:
            out.failed[m] = f"EvaluationError: non-finite loss ({loss}) at step {step}"
    return out
