"""The report's hypervolume section: the curve of the ledger over evaluations and steps."""

from __future__ import annotations

from pathlib import Path

from nas_ops import load_run

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_report_shows_the_hypervolume_curve(search_run: Path, search_report: Path) -> None:
    html = (search_report / "index.html").read_text()
    md = (search_report / "report.md").read_text()
    assert '<section id="hypervolume">' in html
    assert (search_report / "figures" / "hypervolume.png").read_bytes().startswith(PNG)
    assert "figures/hypervolume.png" in md
    run = load_run(search_run)
    assert "recorded when the run started" in md
    assert "parameters 6" in md and "class 1" in md
    last = run.hypervolume[-1]
    assert f"| {last.evals_done} | {last.steps_done} |" in md
