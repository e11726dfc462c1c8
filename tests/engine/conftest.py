from pathlib import Path

import pytest

from tests.configs import write_config


@pytest.fixture
def tiny_config(tmp_path: Path):
    def make(seed: int = 1, algorithm: str = "nsga2", generations: int = 2,
             backend: str = "local", workers: int = 1, extra: str = "", epochs: int = 1) -> Path:
        path = tmp_path / f"cfg-{seed}-{algorithm}-{backend}-{workers}.toml"
        return write_config(path, extra=extra, seed=seed, algorithm=algorithm,
                            generations=generations, backend=backend, workers=workers,
                            epochs=epochs)

    return make
