"""Worker processes are *spawned*: each one imports the calling script again, as ``__mp_main__``.
A script that starts a search at its top level, outside ``if __name__ == "__main__":``, would
start it again in every worker, and every evaluation would fail. :func:`check_main_guard`
refuses that before anything is evaluated, with the fix in one line.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import FrameType, ModuleType

from nas_ops.errors import ConfigError


def _rerun_by_spawn(main: ModuleType | None) -> bool:
    """Whether a spawned process runs ``main``'s code again (as multiprocessing does: a module
    run with ``-m`` unless it is a package's ``__main__``; a script file unless it is IPython;
    never an interactive session or ``-c``)."""
    if main is None:
        return False
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if name is not None:
        return name != "__main__" and not name.endswith(".__main__")
    path = getattr(main, "__file__", None)
    return path is not None and Path(path).stem.lower() != "ipython"


def _main_frame(main: ModuleType) -> FrameType | None:
    """The frame running ``main``'s top-level code (None once it has finished)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
            return frame
        frame = frame.f_back
    return None


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either side)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and \
        any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)


def _guarded(source: str, line: int) -> bool:
    """Whether ``line`` of ``source`` lies inside a top-level ``if __name__ == "__main__":``
    (True too when the source cannot be parsed: nothing is refused on a guess)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return True
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.body:
            end = node.body[-1].end_lineno or node.body[-1].lineno
            if node.body[0].lineno <= line <= end:
                return True
    return False


def check_main_guard(workers: int) -> None:
    """Refuse to start ``workers`` > 1 spawned worker processes from a script whose top-level
    code (the line now running) is not under ``if __name__ == "__main__":``."""
    if workers <= 1:
        return
    main = sys.modules.get("__main__")
    if main is None or not _rerun_by_spawn(main):
        return
    frame = _main_frame(main)
    if frame is None:
        return
    path = Path(frame.f_code.co_filename)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    if _guarded(source, frame.f_lineno):
        return
    raise ConfigError(
        f"evaluation.workers = {workers} starts worker processes, which import {path.name} "
        f"again and would run its line {frame.f_lineno} again: put the script's code under "
        f'`if __name__ == "__main__":` (see the README, "Searches from Python")')
