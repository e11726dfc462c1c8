"""Numbers that README.md and docs/ quote from committed results pages: each must equal what the
committed result file says, so that a re-run that changes a result fails here until the text
changes with it."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_multi_fidelity_retest_is_quoted_as_committed() -> None:
    data = json.loads((ROOT / "studies" / "results" / "fidelity_sh" / "compare" / "main" /
                       "compare.json").read_text())
    (sp,) = data["speedups"]
    quoted = (f"median speed-up {sp['median']:.3g} (95 % interval {sp['ci_low']:.3g} to "
              f"{sp['ci_high']:.3g}")
    final = next(t for t in data["tests"] if t["measure"] == "final")
    base = sum(data["measures"]["final"]["full"].values()) / len(final["seeds"])
    # halving - full, as a share of full's mean (the test's difference is b - a, a = full)
    rel = [100 * final[k] / base for k in ("mean_difference", "ci_low", "ci_high")]
    assert final["a"] == "full" and data["speedup_share"] == 0.9
    span = f"{rel[0]:.0f} %, interval {rel[1]:.0f} % to {rel[2]:+.0f} %"
    readme = " ".join((ROOT / "README.md").read_text().split())
    doc = " ".join((ROOT / "docs" / "fidelity.md").read_text().split())
    assert quoted.replace("median speed-up", "a median speed-up of") in readme
    assert quoted in doc
    assert span in readme and span.replace(", interval", " (interval") in doc, span
