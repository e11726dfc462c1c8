"""The store sits below the evaluation backends: at run time it reads and writes the shared
records of nas_ops/records.py, never a module of nas_ops.evaluation, and of the metrics only the
hypervolume (recomputing the curve of a ledger older than schema 4, in store/schema.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import nas_ops.records
import nas_ops.store

STORE = Path(nas_ops.store.__file__).parent


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports at run time (type-only imports left out)."""
    tree = ast.parse(path.read_text())
    type_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                 for n in ast.walk(block)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def test_the_store_imports_no_evaluation_and_only_the_hypervolume_metric() -> None:
    found = {p.name: _imports(p) for p in sorted(STORE.glob("*.py"))}
    assert found, STORE
    for name, modules in found.items():
        assert not any(m.startswith("nas_ops.evaluation") for m in modules), name
        metrics = {m for m in modules if m.startswith("nas_ops.metrics")}
        assert metrics <= ({"nas_ops.metrics.hypervolume"} if name == "schema.py" else set()), \
            (name, metrics)


def test_the_records_module_imports_nothing_of_the_package() -> None:
    modules = _imports(Path(nas_ops.records.__file__))
    assert not any(m.startswith("nas_ops") for m in modules), modules
