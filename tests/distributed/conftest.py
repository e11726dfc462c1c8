"""A real local Ray cluster (2 CPUs, 1 logical GPU) shared by the distributed tests, and helpers.

The logical GPU lets the GPU code path (batches per task) run on a CPU-only machine: Ray only
counts it; the requests of those tests ask for device "cpu".
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from nas_ops.config import load_config
from nas_ops.engine import run_search
from nas_ops.store import run_contents
from tests.configs import write_config


@pytest.fixture(scope="session")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install nas-ops[ray]")
    ray.init(address="local", num_cpus=2, num_gpus=1, include_dashboard=False,
             configure_logging=False)
    yield ray
    ray.shutdown()


def search(tmp: Path, backend: str, algorithm: str = "nsga2", epochs: int = 1) -> dict:
    """Run the tiny search into ``tmp / name``; its contents, config aside."""
    name = f"{backend}-{algorithm}-{epochs}"
    write_config(tmp / f"{name}.toml", seed=5, algorithm=algorithm, backend=backend, workers=2,
                 device="cpu", epochs=epochs)
    run_search(load_config(tmp / f"{name}.toml"), tmp / name, progress=False)
    contents = run_contents(tmp / name)
    contents.pop("config")
    return contents


@pytest.fixture(scope="session")
def local_runs(tmp_path_factory):
    """The reference: the tiny search on the local (sequential) backend."""
    cache: dict[tuple[str, int], dict] = {}
    tmp = tmp_path_factory.mktemp("local")

    def get(algorithm: str, epochs: int = 1) -> dict:
        if (algorithm, epochs) not in cache:
            cache[algorithm, epochs] = search(tmp, "local", algorithm, epochs)
        return cache[algorithm, epochs]

    return get


def task_pids() -> list[int]:
    """PIDs of the Ray worker processes now running an evaluation task (by process title)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                title = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"ray::_evaluate_batch"):
                pids.append(int(entry))
    return pids


class Killer(threading.Thread):
    """SIGKILLs the first ``count`` Ray worker processes seen running an evaluation task."""

    def __init__(self, count: int = 1) -> None:
        super().__init__(daemon=True)
        self.count, self.killed = count, []
        self.stop = threading.Event()

    def run(self) -> None:
        while len(self.killed) < self.count and not self.stop.is_set():
            for pid in task_pids():
                if pid not in self.killed and len(self.killed) < self.count:
                    try:
                        os.kill(pid, 9)
                    except ProcessLookupError:
                        continue
                    self.killed.append(pid)
            time.sleep(0.01)

    def __enter__(self) -> Killer:
        if not os.path.isdir("/proc"):
            pytest.skip("finding Ray worker processes needs /proc (Linux)")
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join()
