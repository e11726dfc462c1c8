"""Ray backend: evaluation tasks on a Ray cluster (an in-process one, or one joined).

What crosses the network: the request as a dict, the parents' weights as bytes, and back the
record as a dict with the trained weights as bytes. The coordinator writes those weights where the
request said (``weights_out``) before handing the record to the engine, so worker nodes need no
shared filesystem, and the engine stays the ledger's single writer.

Batching: on CPU (``gpus_per_task == 0``) every request is its own task, sent at ``submit``: Ray's
per-task cost is milliseconds against seconds of training, one task per request balances load
best, and a retry repeats one evaluation. With GPUs, the requests submitted before
``as_completed`` are cut into one batch per worker, so that a GPU worker can evaluate its batch
at once (see :func:`evaluate_batch`). A batch that still fails after its retries is split and each
request retried alone, so that one poisonous genome cannot take its batch-mates down.

Fault tolerance is Ray's: a task whose worker process or node dies is re-run (``max_retries``);
application errors are never retried (``run_request`` never raises). A request whose task keeps
dying comes back as a ``failed`` record naming the reason.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from nas_ops.errors import ConfigError, MissingDependencyError
from nas_ops.evaluation.pipeline import failed
from nas_ops.evaluation.worker import run_request
from nas_ops.infra.files import write_atomic
from nas_ops.records import EvalRecord, EvalRequest

INSTALL_HINT = "pip install nas-ops[ray]"

# (request as a dict, parents' weights) -> (record as a dict, trained weights or None)
Item = tuple[dict[str, Any], list[bytes]]
Result = tuple[dict[str, Any], bytes | None]


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`MissingDependencyError` saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError(
            f"evaluation.backend = 'ray' needs Ray, which is not installed: {INSTALL_HINT}"
        ) from exc
    return ray


# ------------------------------------------------------------------ worker side
def evaluate_batch(requests: list[EvalRequest]) -> list[EvalRecord]:
    """Evaluate one task's requests on this worker.

    Hook for GPU workers: this is where a batch will go to the batched GPU evaluator (several
    genomes trained at once on the task's GPU); today each request is evaluated in turn.
    """
    return [run_request(r) for r in requests]


def _evaluate_batch(items: list[Item], threads: int) -> list[Result]:
    """The Ray task (its worker's process title is ``ray::_evaluate_batch`` while it runs)."""
    import torch

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory(prefix="nas-ops-ray-") as tmp:
        requests = [_localize(EvalRequest.from_dict(d), blobs, Path(tmp) / str(i))
                    for i, (d, blobs) in enumerate(items)]
        records = evaluate_batch(requests)
        return [(rec.to_dict(), _read(req.weights_out) if rec.status == "ok" else None)
                for req, rec in zip(requests, records, strict=True)]


def _localize(req: EvalRequest, blobs: list[bytes], folder: Path) -> EvalRequest:
    """Point the request's weight paths at files of this worker's temporary folder."""
    folder.mkdir()
    inherit = req.inherit
    if inherit is not None:
        paths = []
        for k, blob in enumerate(blobs):
            paths.append(str(folder / f"parent{k}.pt"))
            Path(paths[-1]).write_bytes(blob)
        inherit = replace(inherit, parents=tuple(paths))
    out = str(folder / "trained.pt") if req.weights_out else None
    return replace(req, inherit=inherit, weights_out=out)


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path and os.path.isfile(path) else None


# ------------------------------------------------------------- coordinator side
class RayEvaluator:
    """Evaluator protocol on Ray: ``submit`` requests, read records from ``as_completed``.

    ``address``: ``"local"`` starts an in-process cluster sized ``workers * cpus_per_task`` CPUs;
    ``"auto"``, ``"HOST:PORT"`` or ``"ray://HOST:10001"`` joins an existing cluster. A process
    already connected to Ray (``ray.init`` called by the caller) keeps that connection, whatever
    the address. Only a connection this evaluator made is closed by :meth:`close` (which stops
    a local cluster, and only disconnects from a joined one).
    """

    name = "ray"

    def __init__(self, address: str = "local", workers: int = 1, cpus_per_task: float = 1.0,
                 gpus_per_task: float = 0.0, max_retries: int = 2, torch_threads: int = 1) -> None:
        ray = import_ray()
        _check_resources(cpus_per_task, gpus_per_task, max_retries)
        self.workers, self.address = workers, address
        self._gpus, self._retries, self._threads = gpus_per_task, max_retries, torch_threads
        self._owner = not ray.is_initialized()
        if self._owner:
            _connect(ray, address, workers, cpus_per_task, gpus_per_task)
        have = ray.cluster_resources().get("GPU", 0)
        if address == "local" and gpus_per_task > have:
            self.close()
            raise ConfigError(f"evaluation.gpus_per_task = {gpus_per_task} but this machine's "
                              f"Ray cluster has {have:g} GPUs; use gpus_per_task = 0")
        self._task = ray.remote(_evaluate_batch).options(
            num_cpus=cpus_per_task, num_gpus=gpus_per_task, max_retries=max_retries,
            retry_exceptions=False, name="_evaluate_batch")
        self._ray = ray
        self._buffer: list[EvalRequest] = []
        self._tasks: dict[Any, list[EvalRequest]] = {}  # ObjectRef -> its requests
        self._split: set[Any] = set()  # tasks that are single requests split from a batch
        self._ready: deque[EvalRecord] = deque()

    @classmethod
    def from_config(cls, cfg: Any) -> RayEvaluator:
        return cls(cfg.address, cfg.workers, cfg.cpus_per_task, cfg.gpus_per_task,
                   cfg.max_retries, cfg.torch_threads)

    # ------------------------------------------------------------ protocol
    def submit(self, request: EvalRequest) -> None:
        if self._gpus > 0:
            self._buffer.append(request)  # batched at as_completed()
        else:
            self._dispatch([request])

    def pending(self) -> int:
        return (len(self._buffer) + len(self._ready)
                + sum(len(batch) for batch in self._tasks.values()))

    def as_completed(self) -> Iterator[EvalRecord]:
        """Records as their tasks finish. Every record is handed out once, even when the caller
        drops the generator after one item and calls ``as_completed()`` again."""
        self._flush()
        while self._ready or self._tasks:
            if self._ready:
                yield self._ready.popleft()
                continue
            done, _ = self._ray.wait(list(self._tasks), num_returns=1)
            self._collect(done[0])

    def close(self) -> None:
        ray = getattr(self, "_ray", None) or import_ray()
        for ref in getattr(self, "_tasks", {}):
            with contextlib.suppress(Exception):  # already finished, or its worker is gone
                ray.cancel(ref, force=True)
        self._tasks, self._buffer, self._ready = {}, [], deque()
        if self._owner and ray.is_initialized():
            ray.shutdown()
        self._owner = False

    # ------------------------------------------------------------ internals
    def _flush(self) -> None:
        if not self._buffer:
            return
        size = math.ceil(len(self._buffer) / self.workers)
        for i in range(0, len(self._buffer), size):
            self._dispatch(self._buffer[i:i + size])
        self._buffer = []

    def _dispatch(self, batch: list[EvalRequest], split: bool = False) -> None:
        items: list[Item] = []
        sendable = []
        for req in batch:
            try:
                parents = req.inherit.parents if req.inherit is not None else ()
                blobs = [Path(p).read_bytes() for p in parents]
            except OSError as exc:
                self._ready.append(failed(req, time.perf_counter(), "",
                                           f"cannot read parent weights: {exc}"))
                continue
            items.append((req.to_dict(), blobs))
            sendable.append(req)
        if items:
            ref = self._task.remote(items, self._threads)
            self._tasks[ref] = sendable
            if split:
                self._split.add(ref)

    def _collect(self, ref: Any) -> None:
        batch = self._tasks.pop(ref)
        split = ref in self._split
        self._split.discard(ref)
        try:
            results: list[Result] = self._ray.get(ref)
        except self._ray.exceptions.RayError as exc:
            if len(batch) > 1:  # find the culprit: each request on its own
                for req in batch:
                    self._dispatch([req], split=True)
                return
            self._ready.append(failed(batch[0], time.perf_counter(), "",
                                       self._reason(exc, split)))
            return
        for req, (record, blob) in zip(batch, results, strict=True):
            if blob is not None and req.weights_out:
                write_atomic(req.weights_out, blob)  # before the engine hears: children inherit
            self._ready.append(EvalRecord.from_dict(record))

    def _reason(self, exc: Exception, split: bool) -> str:
        errors = self._ray.exceptions
        died = (errors.WorkerCrashedError, errors.NodeDiedError, errors.LocalRayletDiedError,
                errors.OutOfMemoryError, errors.ObjectLostError)
        what = "ray worker died" if isinstance(exc, died) else "ray task failed"
        tries = (self._retries + 1) * (2 if split else 1)
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = lines[-1] if isinstance(exc, errors.RayTaskError) and lines else (
            lines[0] if lines else "")
        plural = "s" if tries > 1 else ""
        return f"{what} ({tries} attempt{plural}): {type(exc).__name__}: {detail}"[:500]


def _check_resources(cpus: float, gpus: float, retries: int) -> None:
    if cpus < 0:
        raise ConfigError(f"evaluation.cpus_per_task must be >= 0, got {cpus}")
    if gpus < 0 or (gpus > 1 and not float(gpus).is_integer()):
        raise ConfigError(f"evaluation.gpus_per_task must be a fraction below 1 or a whole "
                          f"number of GPUs, got {gpus}")
    if retries < 0:
        raise ConfigError(f"evaluation.max_retries must be >= 0, got {retries}")


def _connect(ray: Any, address: str, workers: int, cpus: float, gpus: float) -> None:
    if address == "local":
        ray.init(address="local",  # a new cluster, even if `ray start` left one running
                 num_cpus=max(1, math.ceil(workers * cpus)), num_gpus=None if gpus > 0 else 0,
                 include_dashboard=False, configure_logging=False)
        return
    try:
        _probe(address)  # Ray itself would retry an unreachable address for minutes
        ray.init(address=address)
    except (ConnectionError, ValueError, RuntimeError, OSError) as exc:
        raise ConfigError(f"evaluation.address = {address!r}: cannot join a Ray cluster there "
                          f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                          "start one with `ray start --head` or use address = \"local\"") from exc


def _probe(address: str) -> None:
    """Fail fast (OSError) when ``HOST:PORT`` or ``ray://HOST:PORT`` accepts no connection."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if address != "auto" and sep and port.isdigit():
        socket.create_connection((host, int(port)), timeout=5).close()
