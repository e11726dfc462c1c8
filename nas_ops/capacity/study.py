"""Capacity study: train classical 1-D architectures on synthetic tasks, then analyse them.

Compute only: :func:`run_study` returns plain records; :mod:`.report` renders them.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import ConfigError
from ..rng import generator
from .allocation import VARIANTS, capacity_allocation
from .architectures import OPTIONS, build
from .signals import TASK_KINDS, SignalTask, make_task

STUDY_KEYS = {
    "seed": 0, "signal_length": 32, "n_train": 512, "n_test": 256, "epochs": 200,
    "batch_size": 0, "learning_rate": 1e-2, "analysis_points": 4, "variant": "euclidean",
    "torch_threads": 0,
}
TASK_KEYS = ("name", "kind", "length_scale", "noise", "smooth")
TOP_KEYS = ("study", "tasks", "architectures")


@dataclass(frozen=True)
class StudyConfig:
    study: dict[str, object]
    tasks: list[dict[str, object]]
    architectures: list[dict[str, object]]
    source: str = "<config>"


@dataclass
class ModelRecord:
    """One trained and analysed (task, architecture) pair; JSON-able."""

    task: str
    architecture: str
    kind: str
    activation: str
    n_parameters: int
    capacity: float
    ranks: list[int]
    linear: bool
    train_loss: float
    test_loss: float
    per_input: list[float]
    per_offset: list[float] | None
    offsets: list[int] | None
    bias: float
    seconds: float
    spec: dict[str, object] = field(default_factory=dict)


def _unknown_keys(where: str, table: dict[str, object], valid: tuple[str, ...]) -> None:
    for key in table:
        if key not in valid:
            raise ConfigError(f"{where}: unknown key {key!r}; valid keys: {', '.join(valid)}")


def parse_config(text: str, source: str = "<config>") -> StudyConfig:
    """Validate a study TOML text; every mistake is one ConfigError line naming the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from err
    _unknown_keys(source, raw, TOP_KEYS)
    study = {**STUDY_KEYS, **raw.get("study", {})}
    _unknown_keys(f"{source} [study]", study, tuple(STUDY_KEYS))
    for key, default in STUDY_KEYS.items():
        if not isinstance(study[key], type(default)) and not (
            isinstance(default, float) and isinstance(study[key], int)
        ):
            kind = type(default).__name__
            raise ConfigError(f"{source} [study].{key}={study[key]!r} must be a {kind}")
    if study["variant"] not in VARIANTS:
        raise ConfigError(f"{source} [study].variant={study['variant']!r} is unknown; "
                          f"valid choices: {', '.join(VARIANTS)}")
    tasks = raw.get("tasks", [])
    archs = raw.get("architectures", [])
    if not tasks or not archs:
        raise ConfigError(f"{source}: needs at least one [[tasks]] and one [[architectures]]")
    for t in tasks:
        _unknown_keys(f"{source} [[tasks]] {t.get('name', '?')!r}", t, TASK_KEYS)
        if t.get("kind") not in TASK_KINDS or "name" not in t:
            raise ConfigError(f"{source} [[tasks]] {t.get('name', '?')!r}: kind={t.get('kind')!r} "
                              f"is unknown; valid choices: {', '.join(TASK_KINDS)}")
    for a in archs:
        kind = a.get("kind")
        if kind not in OPTIONS or "name" not in a:
            raise ConfigError(f"{source} [[architectures]] {a.get('name', '?')!r}: kind={kind!r} "
                              f"is unknown; valid choices: {', '.join(sorted(OPTIONS))}")
        _unknown_keys(f"{source} [[architectures]] {a['name']!r}", a,
                      ("name", "kind", *OPTIONS[str(kind)]))
    names = [a["name"] for a in archs] + [t["name"] for t in tasks]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: task and architecture names must be unique")
    return StudyConfig(study, tasks, archs, source)


def load_config(path: Path) -> StudyConfig:
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError(f"cannot read config {path}: {err.strerror}") from err
    return parse_config(text, str(path))


def train(model: torch.nn.Module, task: SignalTask, study: dict[str, object],
          seed: int) -> tuple[float, float]:
    """Adam on the MSE, full batch (batch_size=0) or seeded minibatches; returns the losses."""
    x, y = torch.as_tensor(task.x_train), torch.as_tensor(task.y_train)
    opt = torch.optim.Adam(model.parameters(), lr=float(study["learning_rate"]))  # type: ignore[arg-type]
    gen = torch.Generator().manual_seed(seed)
    bs = int(study["batch_size"]) or len(x)  # type: ignore[call-overload]
    for _ in range(int(study["epochs"])):  # type: ignore[call-overload]
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), bs):
            idx = order[start : start + bs]
            opt.zero_grad()
            loss = torch.mean((model(x[idx]) - y[idx]) ** 2)
            loss.backward()
            opt.step()
    with torch.no_grad():
        tr = float(torch.mean((model(x) - y) ** 2))
        te = float(torch.mean((model(torch.as_tensor(task.x_test)) - torch.as_tensor(task.y_test))
                              ** 2))
    return tr, te


def study_capacity_of_model(model: torch.nn.Module, inputs: np.ndarray | torch.Tensor, *,
                            variant: str = "euclidean", data: np.ndarray | None = None,
                            **kwargs: object) -> dict[str, object]:
    """Analyse a trained model (e.g. one found by a search) and return a JSON-able summary."""
    res = capacity_allocation(model, inputs, variant=variant, data=data, **kwargs)  # type: ignore[arg-type]
    return {
        "capacity": res.total, "ranks": list(res.ranks), "linear": res.linear,
        "n_parameters": res.n_parameters, "bias": res.bias,
        "per_input": res.per_input.ravel().tolist(),
        "per_offset": None if res.per_offset is None else res.per_offset.ravel().tolist(),
        "offsets": None if res.offsets is None else res.offsets[0].tolist(),
        "threshold": res.threshold, "rtol": res.rtol, "variant": res.variant,
    }


def _one(cfg: StudyConfig, task: SignalTask, arch: dict[str, object], k: int) -> ModelRecord:
    study = cfg.study
    seed = int(study["seed"])  # type: ignore[call-overload]
    t0 = time.perf_counter()
    model = build(arch, int(study["signal_length"]), seed + 1000 * k)  # type: ignore[call-overload]
    tr, te = train(model, task, study, seed + 1000 * k + 1)
    pts = task.x_test[: int(study["analysis_points"])]  # type: ignore[call-overload]
    data = task.x_train if study["variant"] != "euclidean" else None
    s = study_capacity_of_model(model, pts, variant=str(study["variant"]), data=data)
    return ModelRecord(
        task=task.name, architecture=str(arch["name"]), kind=str(arch["kind"]),
        activation=str(arch.get("activation", "linear")), n_parameters=int(s["n_parameters"]),  # type: ignore[call-overload]
        capacity=float(s["capacity"]), ranks=s["ranks"], linear=bool(s["linear"]),  # type: ignore[arg-type]
        train_loss=tr, test_loss=te, per_input=s["per_input"],  # type: ignore[arg-type]
        per_offset=s["per_offset"], offsets=s["offsets"], bias=float(s["bias"]),  # type: ignore[arg-type]
        seconds=time.perf_counter() - t0, spec=dict(arch),
    )


def run_study(cfg: StudyConfig, progress: Callable[[str], None] = print) -> list[ModelRecord]:
    """Train and analyse every (task, architecture) pair, printing one line per model."""
    study = cfg.study
    seed, length = int(study["seed"]), int(study["signal_length"])  # type: ignore[call-overload]
    records: list[ModelRecord] = []
    for ti, spec in enumerate(cfg.tasks):
        rng = generator(seed, "capacity-task", ti)
        task = make_task(spec, length, int(study["n_train"]), int(study["n_test"]), rng)  # type: ignore[call-overload]
        for k, arch in enumerate(cfg.architectures):
            rec = _one(cfg, task, arch, k)
            records.append(rec)
            progress(f"[{task.name}] {rec.architecture:<18} params={rec.n_parameters:<6d} "
                     f"capacity={rec.capacity:8.2f} test_mse={rec.test_loss:.4f} "
                     f"({rec.seconds:.1f}s)")
    return records
