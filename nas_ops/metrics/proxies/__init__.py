"""Zero-cost proxies: scores of an untrained model, per output, that may predict how well it
trains (docs/proxies.md). ``score(genome, task, seed)`` builds the model exactly as an
evaluation with that seed does and returns ``{output: {proxy: value}}`` for every task output
and every proxy of :data:`PROXIES`:

- ``grad_norm``: norm of the gradient of the output's loss on one mini-batch (grad_norm.py);
- ``synflow``: synaptic flow of the output's subgraph (synflow.py);
- ``naswot``: log-determinant of the activation-code kernel on the mini-batch (naswot.py);
- ``params``: parameters of the output's subgraph, the baseline a proxy must beat.

Higher is taken to predict better for each. No training, no global random state: the model's
initialization comes from ``seed`` and the mini-batch from ``data_seed`` (default ``seed``).
The registry imports no torch (config validation reads it); the proxies and ``score`` are
imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas_ops.genome.genome import Genome
from nas_ops.registry import Registry

if TYPE_CHECKING:
    from nas_ops.metrics.proxies.batch import BATCH_SIZE, proxy_batch
    from nas_ops.metrics.proxies.grad_norm import grad_norm
    from nas_ops.metrics.proxies.naswot import log_det_kernel, naswot
    from nas_ops.metrics.proxies.scoring import score
    from nas_ops.metrics.proxies.synflow import synflow
    from nas_ops.phenotype.model import Phenotype
    from nas_ops.tasks.base import Split, Task


@dataclass(frozen=True)
class ProxyInputs:
    """What a proxy scores: the genome, its task, the untrained model built with ``seed`` and
    the mini-batch."""

    genome: Genome
    task: Task
    model: Phenotype
    batch: Split
    seed: int


# name -> proxy(inputs) -> {output: score}; ``score`` computes them in registration order
PROXIES: Registry[Callable[[ProxyInputs], dict[str, float]]] = Registry("proxy")


@PROXIES.decorator("grad_norm")
def _grad_norm(x: ProxyInputs) -> dict[str, float]:
    return _load("grad_norm")(x.model, x.task, x.batch, x.seed)


@PROXIES.decorator("synflow")
def _synflow(x: ProxyInputs) -> dict[str, float]:
    return _load("synflow")(x.model)


@PROXIES.decorator("naswot")
def _naswot(x: ProxyInputs) -> dict[str, float]:
    return _load("naswot")(x.model, x.task, x.batch, x.seed)


@PROXIES.decorator("params")
def _params(x: ProxyInputs) -> dict[str, float]:
    from nas_ops.genome.shapes import output_cost

    return {out: float(cost["parameters"]) for out, cost in output_cost(x.genome).items()}


_LAZY = {"BATCH_SIZE": "batch", "proxy_batch": "batch", "grad_norm": "grad_norm",
         "log_det_kernel": "naswot", "naswot": "naswot", "score": "scoring", "synflow": "synflow"}


def _load(name: str) -> Any:
    """``name`` from its module, imported now. Importing a module binds it to its name here,
    and grad_norm, naswot and synflow are both modules and functions: every name of the module
    is bound again (to the function), so the package keeps exporting functions."""
    module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
    for key, where in _LAZY.items():
        if where == _LAZY[name]:
            globals()[key] = getattr(module, key)
    return globals()[name]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'nas_ops.metrics.proxies' has no attribute {name!r}")
    return _load(name)


__all__ = ["BATCH_SIZE", "PROXIES", "ProxyInputs", "grad_norm", "log_det_kernel", "naswot",
           "proxy_batch", "score", "synflow"]
