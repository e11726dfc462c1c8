"""A real tmpfs mounted for one test (a read-only one, a small one that fills up)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def tmpfs(place: Path, options: str) -> Iterator[Path]:
    """Mount a tmpfs with ``options`` on ``place``, yield it, unmount it; skip the test where
    mounting is not permitted (it needs root and a kernel that lets the container mount)."""
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(place)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs ({options}) is not permitted here")
    yield place
    subprocess.run(["umount", str(place)], check=False)
