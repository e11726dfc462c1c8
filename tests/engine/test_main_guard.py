"""Scripts that use worker processes (issue 25, point 2): a real script run in a subprocess with
``workers = 2`` and no ``if __name__ == "__main__":`` guard is refused before anything is
evaluated, in one line that shows the fix; with the guard it runs. ``Search.run()`` raises
:class:`AllFailedError` when every evaluation failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nas_ops
from nas_ops.errors import AllFailedError, EvaluationError, NasOpsError
from nas_ops.evaluation.spawn_guard import _guarded
from tests.configs import write_config

ROOT = Path(__file__).resolve().parents[2]

BODY = """search = nas_ops.create_search(nas_ops.load_config({config!r}), {out!r})
print(search.run().lines()[0])
"""


def run_script(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "myscript.py"
    script.write_text("import nas_ops\n\n" + text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300, check=False)


@pytest.fixture
def pool_config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "pool.toml", backend="pool", workers=2, population=2,
                        offspring=2, generations=1)


def test_a_script_without_the_guard_is_refused_before_any_evaluation(
        tmp_path: Path, pool_config: Path) -> None:
    out = tmp_path / "run"
    done = run_script(tmp_path, BODY.format(config=str(pool_config), out=str(out)))
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("nas_ops.errors.ConfigError: evaluation.workers = 2 starts worker "
                           "processes, which import myscript.py again"), done.stderr
    assert 'put the script\'s code under `if __name__ == "__main__":`' in last
    assert "line 3" in last  # the line that started the search
    assert "bootstrapping" not in done.stderr and done.stderr.count("Traceback") == 1
    assert not out.exists()  # refused before the run directory was made


def test_a_call_outside_the_guard_is_refused_too(tmp_path: Path, pool_config: Path) -> None:
    out = tmp_path / "run"
    text = BODY.format(config=str(pool_config), out=str(out)) + \
        'if __name__ == "__main__":\n    print("main")\n'
    done = run_script(tmp_path, text)
    assert done.returncode == 1 and "ConfigError: evaluation.workers = 2" in done.stderr
    assert not out.exists()


@pytest.mark.slow  # two spawned workers import torch
def test_the_same_script_with_the_guard_runs(tmp_path: Path, pool_config: Path) -> None:
    out = tmp_path / "run"
    body = BODY.format(config=str(pool_config), out=str(out))
    text = "def main() -> None:\n" + "".join(f"    {line}\n" for line in body.splitlines()) + \
        '\n\nif __name__ == "__main__":\n    main()\n'
    done = run_script(tmp_path, text)
    assert done.returncode == 0, done.stderr
    assert "4 evaluations (4 trained now, 0 failed)" in done.stdout


def test_the_guard_is_found_where_the_call_is() -> None:
    source = "import x\nx.run()\nif __name__ == '__main__':\n    x.run()\n    y = 1\n"
    assert not _guarded(source, 2)
    assert _guarded(source, 4) and _guarded(source, 5)
    assert _guarded(source.replace("__name__ == '__main__'", "'__main__' == __name__"), 4)
    assert not _guarded(source.replace("'__main__'", "'other'"), 4)


def test_search_run_raises_when_every_evaluation_failed(tmp_path: Path) -> None:
    config = nas_ops.load_config(write_config(tmp_path / "c.toml", extra="time_limit_s = 1e-9\n",
                                              population=2, offspring=2, generations=1))
    search = nas_ops.create_search(config, tmp_path / "run")
    with pytest.raises(AllFailedError, match=r"^all 4 evaluations failed; most common reason "
                       r"\(4 of 4\): .*time limit") as info:
        search.run()
    assert isinstance(info.value, EvaluationError) and isinstance(info.value, NasOpsError)
    assert info.value.summary.failures == info.value.summary.evaluations == 4
    assert nas_ops.load_run(tmp_path / "run").meta.status == "finished"
    with pytest.raises(AllFailedError):
        nas_ops.run_search(config, tmp_path / "again", progress=False)
