"""The capacity study's index.html (rendered by report/document.py) shows every figure in a
headless browser. Skipped without chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nas_ops.cli import main
from tests.configs import TINY_CAPACITY


def test_capacity_report_renders_every_figure(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    (tmp_path / "c.toml").write_text(TINY_CAPACITY)
    out = tmp_path / "cap"
    assert main(["capacity", str(tmp_path / "c.toml"), "--out", str(out)]) == 0
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
           "--dump-dom", (out / "index.html").resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r'<body[^>]*data-figures="rendered-3"', done.stdout)  # params + 2 profiles
    assert not re.search(r"<html[^>]*data-errors", done.stdout)
