"""The restricted unpickler: only the tables' few globals load; everything else is refused with
one line, before anything it names can run; each file's sha256 is checked first."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from nas_ops import tables
from nas_ops.cli import main
from nas_ops.errors import MissingDependencyError, TaskError
from nas_ops.tables.unpickle import PlainRecord, TableUnpickler, load_pinned, sha256_of
from tests.tables.conftest import needs_tables


class _Evil:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.mkdir, (str(self.target),))


def test_a_foreign_global_is_refused_before_it_runs(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    data = pickle.dumps({1: _Evil(target)})
    path = tmp_path / "evil.bench"
    path.write_bytes(data)
    with pytest.raises(TaskError) as err:
        load_pinned(path, sha256_of(data), "table nbgraph/cora")  # even with a matching pin
    assert "refused global" in str(err.value) and "mkdir" in str(err.value)
    assert len(str(err.value).splitlines()) == 1
    assert not target.exists()


def test_numeric_scalars_and_records_load_as_plain_values() -> None:
    data = pickle.dumps({7: {"v": np.float64(0.25), "n": np.int64(3)}}, protocol=3)
    assert TableUnpickler(__import__("io").BytesIO(data)).load() == {7: {"v": 0.25, "n": 3}}
    rec = PlainRecord()
    rec.__setstate__({"value": 1.0})
    assert rec.value == 1.0  # type: ignore[attr-defined]
    with pytest.raises(pickle.UnpicklingError):
        TableUnpickler(__import__("io").BytesIO(pickle.dumps(np.array([1], dtype=object)))).load()


@needs_tables
def test_an_altered_table_file_is_refused_by_its_checksum(tmp_path: Path) -> None:
    copy = tmp_path / "cora.bench"
    shutil.copy(tables.installed_file("nbgraph", "cora"), copy)
    assert len(tables.get_table("nbgraph", "cora", str(copy))) == 26206  # the copy reads
    raw = bytearray(copy.read_bytes())
    raw[-20] ^= 1
    altered = tmp_path / "altered.bench"
    altered.write_bytes(bytes(raw))
    with pytest.raises(TaskError, match="sha256 .* not the pinned .* pip install -e"):
        tables.get_table("nbgraph", "cora", str(altered))


def test_without_the_extra_one_line_names_it(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path, capsys) -> None:
    gone = dataclasses.replace(tables.SPECS["nbgraph"], package="nas_ops_no_such_table_package")
    monkeypatch.setitem(tables.SPECS, "nbgraph", gone)
    tables.get_table.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match=r"optional extra 'bench'"):
            tables.get_table("nbgraph", "cora")
        cfg = tmp_path / "c.toml"
        cfg.write_text('[task]\nname = "nbgraph"\n[space]\nname = "nbgraph"\n'
                       '[evaluation]\nbackend = "table"\n')
        assert main(["search", str(cfg), "--out", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "pip install -e '.[bench]'" in err[0], err
        assert not (tmp_path / "run").exists()
    finally:
        tables.get_table.cache_clear()
