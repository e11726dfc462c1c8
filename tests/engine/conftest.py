from pathlib import Path

import pytest

TINY = """
seed = {seed}
[task]
name = "mnist1d"
n_train = 200
[search]
algorithm = "{algorithm}"
population = 4
offspring = 4
generations = {generations}
[evaluation]
backend = "{backend}"
workers = {workers}
[budget]
epochs = {epochs}
"""


@pytest.fixture
def tiny_config(tmp_path: Path):
    def make(seed: int = 1, algorithm: str = "nsga2", generations: int = 2,
             backend: str = "local", workers: int = 1, extra: str = "", epochs: int = 1) -> Path:
        path = tmp_path / f"cfg-{seed}-{algorithm}-{backend}-{workers}.toml"
        path.write_text(TINY.format(seed=seed, algorithm=algorithm, generations=generations,
                                    backend=backend, workers=workers, epochs=epochs) + extra)
        return path

    return make
