"""The engine's seam holds: nothing outside engine/search.py touches a private member of
``Search``, and the plans (algorithms, rungs, pre-filter, studies) never import it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEARCH = ROOT / "nas_ops" / "engine" / "search.py"
TREES = ("nas_ops", "operators", "search_spaces", "tests", "benchmarks", "studies")


def _private_members() -> set[str]:
    """Underscore names ``Search`` defines: its methods and the ``self._x`` it assigns."""
    tree = ast.parse(SEARCH.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Search")
    names = {f.name for f in cls.body if isinstance(f, ast.FunctionDef)}
    for node in ast.walk(cls):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "self":
            names.add(node.attr)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def _sources() -> list[Path]:
    return [p for tree in TREES for p in sorted((ROOT / tree).rglob("*.py"))
            if p != SEARCH and ".venv" not in p.parts]


def test_search_has_private_members_to_protect() -> None:
    assert {"_advance", "_record_start", "_describe"} <= _private_members()


def test_no_module_touches_a_private_member_of_search() -> None:
    private = _private_members()
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in private and not (
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert not found, "private members of Search used outside it:\n" + "\n".join(found)


def test_plans_and_the_evaluation_strategy_do_not_import_search() -> None:
    """Algorithms, rungs, the pre-filter, the weights check and the archive see the seam only
    (the import circle of the engine is gone)."""
    for name in ("algorithms", "rungs", "prefilter", "weights", "archive", "arena", "study"):
        tree = ast.parse((ROOT / "nas_ops" / "engine" / f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        if name == "study":  # a study makes its search; its loop sees only the Arena
            loop = next(f for f in ast.walk(tree)
                        if isinstance(f, ast.FunctionDef) and f.name == "loop")
            assert ast.unparse(loop.args.args[1].annotation) == "Arena"
            continue
        assert "nas_ops.engine.search" not in imported, name
