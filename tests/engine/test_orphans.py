"""Killing the coordinator of a real `nas-ops search` leaves no worker process behind."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")]


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def _poll(condition, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _start(tiny_config, run_dir: Path) -> subprocess.Popen[bytes]:  # noqa: ANN001
    cfg = tiny_config(seed=5, backend="pool", workers=2, epochs=300)
    proc = subprocess.Popen([sys.executable, "-m", "nas_ops", "search", str(cfg), "--out",
                             str(run_dir), "--quiet"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    # the coordinator, its resource tracker and two workers, training
    if not _poll(lambda: len(_group(proc.pid)) >= 4 or proc.poll() is not None, 120):
        proc.kill()
        pytest.fail(f"the pool workers did not start: {_group(proc.pid)}")
    assert proc.poll() is None, "the search ended before the test could stop it"
    time.sleep(1.0)  # let the workers get into training
    return proc


def _no_orphan_writes(run_dir: Path) -> None:
    weights = run_dir / "weights"
    before = sorted(p.name for p in weights.iterdir()) if weights.exists() else []
    time.sleep(2.0)
    after = sorted(p.name for p in weights.iterdir()) if weights.exists() else []
    assert after == before


def test_sigkill_of_the_coordinator_kills_its_workers(tiny_config, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = _start(tiny_config, run_dir)
    os.kill(proc.pid, signal.SIGKILL)
    killed = time.monotonic()
    proc.wait()
    assert _poll(lambda: not _group(proc.pid), 5.0 - (time.monotonic() - killed)), \
        f"processes left after SIGKILL of the coordinator: {_group(proc.pid)}"
    _no_orphan_writes(run_dir)


def test_sigterm_is_handled_like_ctrl_c(tiny_config, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = _start(tiny_config, run_dir)
    os.kill(proc.pid, signal.SIGTERM)
    assert _poll(lambda: set(_group(proc.pid)) <= {proc.pid}, 5.0), \
        f"worker processes left 5 s after SIGTERM: {_group(proc.pid)}"
    _, err = proc.communicate(timeout=60)  # the coordinator itself may take longer to exit
    assert proc.returncode == 143, err
    assert err.decode().strip().splitlines() == ["nas-ops: terminated"]
    assert _poll(lambda: not _group(proc.pid), 5.0), _group(proc.pid)
    fd = os.open(run_dir / "ledger.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released: this would raise otherwise
    finally:
        os.close(fd)
    _no_orphan_writes(run_dir)
