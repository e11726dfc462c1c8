"""The HTML report renders its figures in headless Chromium (skipped where none is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nas_ops.report import build_report
from nas_ops.report.document import Figure, Section, to_html
from tests.analysis.synthetic import write_planted_run

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WIDTH = 1400  # CSS pixels, the window the review looked at the report in
MAX_STUDY_HEIGHT = 7000  # CSS pixels; the review measured about 19,000 before tables collapsed


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium not installed: apt-get install chromium")


def _chromium(html: Path, profile: Path, *args: str) -> str:
    cmd = [_browser(), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
           "--hide-scrollbars", *args, html.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _dump_dom(html: Path, profile: Path) -> str:
    return _chromium(html, profile, f"--window-size={WIDTH},900", "--dump-dom")


def _page_height(dom: str) -> int:
    found = re.search(r'<body[^>]*data-height="(\d+)"', dom)
    assert found, "the page script did not run"
    return int(found.group(1))


def _stated_figures(html: str) -> int:
    found = re.search(r'<meta name="nas-ops-figures" content="(\d+)">', html)
    assert found, "the report states how many figures it holds"
    return int(found.group(1))


def screenshot(html: Path, profile: Path, png: Path) -> Path:
    """The whole page at WIDTH CSS pixels as a PNG (to look at; the tests keep it in tmp)."""
    height = _page_height(_dump_dom(html, profile))
    _chromium(html, profile, f"--window-size={WIDTH},{height}", f"--screenshot={png}")
    return png


def test_report_renders_every_figure(search_report: Path, tmp_path: Path) -> None:
    dom = _dump_dom(search_report / "index.html", tmp_path / "profile")
    n_images = len(re.findall(r"<img [^>]*src=\"data:image/png;base64,", dom))
    assert n_images == _stated_figures((search_report / "index.html").read_text()) > 0
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


def test_study_report_page_is_short_and_shows_its_figures(tmp_path: Path) -> None:
    run = write_planted_run(tmp_path / "study", n_parents=12, per_parent=1)
    index = build_report(run, tmp_path / "report")
    dom = _dump_dom(index, tmp_path / "profile")
    n = _stated_figures(index.read_text())
    assert re.search(rf'<body[^>]*data-figures="rendered-{n}"', dom) and n > 0
    assert _page_height(dom) < MAX_STUDY_HEIGHT
    shot = screenshot(index, tmp_path / "profile", tmp_path / "study.png")
    assert shot.read_bytes().startswith(b"\x89PNG")
