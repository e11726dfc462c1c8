"""docs/operators.md: its operator examples run (the operators they register are removed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nas_ops.variation import OPERATORS

DOC = Path(__file__).resolve().parents[2] / "docs" / "operators.md"


def test_operator_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = [b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
              if "register_operator(" in b]
    assert len(blocks) == 3
    before = set(OPERATORS.names())
    try:
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), {"__name__": "docs_operators"})  # noqa: S102
    finally:
        for name in set(OPERATORS.names()) - before:
            OPERATORS.unregister(name)
    assert {"reverse_inputs", "halve_units", "narrow_layer"}.isdisjoint(OPERATORS.names())
    status, changed = capsys.readouterr().out.split(" ", 2)[:2]
    assert status == "ok" and changed.startswith("['n")
