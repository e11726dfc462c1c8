"""The HTML report renders its figures in headless Chromium (skipped where none is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nas_ops.report.document import Figure, Section, to_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium not installed: apt-get install chromium")


def _dump_dom(html: Path, profile: Path) -> str:
    cmd = [_browser(), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
           "--dump-dom", html.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_report_renders_every_figure(search_report: Path, tmp_path: Path) -> None:
    dom = _dump_dom(search_report / "index.html", tmp_path / "profile")
    n_images = len(re.findall(r"<img [^>]*src=\"data:image/png;base64,", dom))
    assert n_images == 7
    assert re.search(rf'<body[^>]*data-figures="rendered-{n_images}"', dom)
    assert not re.search(r"<html[^>]*data-errors", dom)


def test_the_check_sees_a_broken_image(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"not a png")
    page = tmp_path / "bad.html"
    page.write_text(to_html("bad", [Section("s", "S", [Figure(Path("bad.png"), "bad")])],
                            tmp_path))
    dom = _dump_dom(page, tmp_path / "profile")
    assert re.search(r'<body[^>]*data-figures="broken"', dom)
    assert re.search(r'<html[^>]*data-errors="yes"', dom)
