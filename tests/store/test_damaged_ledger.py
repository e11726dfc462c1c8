"""Damage inside a readable ledger (issue 25, point 3): a real tiny search's ledger is damaged
with sqlite3, then ``resume``, ``report`` and ``load_run`` each give one line naming the file,
the table, the row and the individual; the API raises :class:`LedgerError`, never a raw
``JSONDecodeError``, and nothing is written to the damaged ledger.

Also refused: a ledger of a newer schema than this code, and one that lacks a table its schema
has (it is not silently recreated).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import nas_ops
from nas_ops.cli import main
from nas_ops.errors import LedgerError
from nas_ops.store import run_contents
from nas_ops.store.schema import SCHEMA_VERSION
from tests.configs import tiny_config, write_config

RESTORE = "; restore the ledger from a copy or start a new run"

#: case -> (SQL that damages the ledger, what the line says after "<ledger> is damaged: ")
DAMAGE = {
    "config": ("UPDATE run SET value = substr(value, 1, 30) WHERE key = 'config'",
               "table run, row key 'config', column value: broken JSON (Unterminated string "
               "starting at, character 29)"),
    "val": ("UPDATE evaluations SET val = '{\"class\": ' WHERE uid = 'g001-002'",
            "table evaluations, row uid 'g001-002' (individual g001-002), column val: broken "
            "JSON (Expecting value, character 10)"),
    "genome_initial": ("UPDATE individuals SET genome = '{\"schema\": 1, \"space\"' "
                       "WHERE uid = 'g000-001'",
                       "table individuals, row uid 'g000-001' (individual g000-001), column "
                       "genome: not a readable genome (genome JSON is malformed: Expecting ':' "
                       "delimiter at line 1 column 22)"),
    "genome_child": ("UPDATE individuals SET genome = substr(genome, 1, 100) "
                     "WHERE uid = 'g002-001'",
                     "table individuals, row uid 'g002-001' (individual g002-001), column "
                     "genome: not a readable genome (genome JSON is malformed: Unterminated "
                     "string starting at at line 1 column 92)"),
    "variation": ("UPDATE variations SET event = '[' WHERE generation = 1 AND slot = 3 "
                  "AND attempt = 0",
                  "table variations, row generation 1, slot 3, attempt 0 (individual g001-003),"
                  " column event: broken JSON (Expecting value, character 1)"),
    "schema_text": ("UPDATE run SET value = '\"seven\"' WHERE key = 'schema'",
                    "table run, row key 'schema', column value: 'seven' is not a schema "
                    "version"),
    "no_evaluations": ("DROP TABLE evaluations",
                       "table evaluations is missing (a schema-7 ledger has it)"),
    "no_prefilter": ("DROP TABLE prefilter",
                     "table prefilter is missing (a schema-7 ledger has it)"),
}


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("damaged") / "run"
    nas_ops.run_search(tiny_config(seed=3), out, progress=False)
    return out


def damaged_copy(straight: Path, where: Path, sql: str) -> Path:
    run = where / "run"
    shutil.copytree(straight, run)
    db = sqlite3.connect(run / "ledger.sqlite")
    db.execute(sql)
    db.commit()
    db.close()
    return run


def digest(path: Path) -> str:
    """The ledger's contents (what its WAL holds included)."""
    db = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()
    finally:
        db.close()


def listing(run: Path) -> list[str]:
    """The run directory's files, but SQLite's own (-wal, -shm: a reader may leave them)."""
    return sorted(p.name for p in run.iterdir() if not p.name.endswith(("-wal", "-shm")))


def one_line(argv: list[object], capsys: pytest.CaptureFixture[str]) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    return err[0]


def test_schema_version_is_the_one_the_messages_name() -> None:
    assert SCHEMA_VERSION == 7  # the missing-table lines name "a schema-7 ledger"


@pytest.mark.parametrize("case", sorted(DAMAGE))
@pytest.mark.parametrize("command", ["resume", "report", "load_run"])
def test_damage_is_one_line_naming_the_row(command: str, case: str, straight: Path,
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    sql, what = DAMAGE[case]
    run = damaged_copy(straight, tmp_path, sql)
    ledger = run / "ledger.sqlite"
    expected = f"{str(ledger)!r} is damaged: {what}{RESTORE}"
    before, names = digest(ledger), listing(run)
    if command == "load_run":
        with pytest.raises(LedgerError) as caught:
            nas_ops.load_run(run)
        assert str(caught.value) == expected
        assert not isinstance(caught.value, json.JSONDecodeError)
    elif command == "resume":
        assert one_line(["resume", run, "--quiet"], capsys) == f"nas-ops: error: {expected}"
    else:
        out = tmp_path / "rep"
        assert one_line(["report", run, "--out", out, "--quiet"],
                        capsys) == f"nas-ops: error: {expected}"
        assert not out.exists()
    assert digest(ledger) == before  # nothing written, no table recreated
    assert listing(run) == names


def test_a_broken_genome_is_not_blamed_on_changed_code(straight: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    run = damaged_copy(straight, tmp_path, DAMAGE["genome_child"][0])
    line = one_line(["resume", run, "--quiet"], capsys)
    assert "code or config changed" not in line and "g002-001" in line


@pytest.mark.parametrize("command", ["resume", "report", "load_run", "search"])
def test_a_newer_schema_is_refused(command: str, straight: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    run = damaged_copy(straight, tmp_path, "UPDATE run SET value = '99' WHERE key = 'schema'")
    ledger = run / "ledger.sqlite"
    expected = (f"{str(ledger)!r} has ledger schema 99, newer than this nas-ops reads (up to "
                f"{SCHEMA_VERSION}); upgrade nas-ops to read it, nothing was changed")
    before = digest(ledger)
    if command == "load_run":
        with pytest.raises(LedgerError) as caught:
            nas_ops.load_run(run)
        assert str(caught.value) == expected
    else:
        config = tmp_path / "c.toml"
        argv: list[object] = {
            "resume": ["resume", run, "--quiet"],
            "report": ["report", run, "--out", tmp_path / "rep", "--quiet"],
            "search": ["search", config, "--out", run, "--quiet"]}[command]
        write_config(config, seed=3)
        assert one_line(argv, capsys) == f"nas-ops: error: {expected}"
    assert digest(ledger) == before


def test_the_undamaged_copy_still_resumes(straight: Path, tmp_path: Path) -> None:
    """The check reads every row and refuses nothing sound: a copy of the run resumes as a
    no-op and reads back equal."""
    run = tmp_path / "run"
    shutil.copytree(straight, run)
    nas_ops.resume(run, progress=False)
    assert run_contents(run) == run_contents(straight)
