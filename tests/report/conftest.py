"""A real tiny search run and its report, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

import nas_ops
from nas_ops.report import build_report
from tests.configs import write_config


@pytest.fixture(scope="session")
def search_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    config = write_config(root / "tiny.toml")
    nas_ops.run_search(str(config), str(root / "run"), progress=False)
    return root / "run"


@pytest.fixture(scope="session")
def search_report(search_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(search_run, tmp_path_factory.mktemp("reports") / "search").parent
