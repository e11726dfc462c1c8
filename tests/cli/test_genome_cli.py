"""``nas-ops genome sample|validate|show`` and the one-line error contract of the CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nas_ops as N
from nas_ops.cli import main
from nas_ops.genome import from_json, to_json
from tests.genome.builders import base_dict, multinet_genome

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m nas_ops ARGS`` as a real subprocess."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "nas_ops", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


@pytest.fixture
def genome_file(tmp_path: Path) -> Path:
    path = tmp_path / "genome.json"
    path.write_text(to_json(multinet_genome(), indent=2))
    return path


def test_sample_prints_valid_json(capsys: pytest.CaptureFixture[str],
                                  small_task: N.Task) -> None:
    for space in ("multinet", "mlp"):
        assert main(["genome", "sample", "--space", space, "--task", "mnist1d",
                     "--seed", "5"]) == 0
        out = capsys.readouterr().out
        genome = N.validate(from_json(out))
        assert genome.space == space
        assert genome == N.sample_genome(space, small_task, seed=5)  # same seed, same genome
        assert json.loads(out)["schema"] == 1


def test_validate_file_in_a_real_process_agrees_with_the_library(genome_file: Path) -> None:
    proc = run_cli("genome", "validate", str(genome_file))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (f"valid: 4 networks, 8 connections, hash "
                           f"{N.structural_hash(multinet_genome())}\n")  # stable across processes
    assert proc.stderr == ""


def test_validate_reads_stdin(genome_file: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(genome_file.read_text()))
    assert main(["genome", "validate", "-"]) == 0
    assert capsys.readouterr().out.startswith("valid: 4 networks, 8 connections, hash ")


def test_show_is_a_readable_summary(genome_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["genome", "show", str(genome_file)]) == 0
    out = capsys.readouterr().out
    g = multinet_genome()
    assert f"{N.complexity(g).parameters} parameters, 4 networks, 8 connections" in out
    for node_id in g.node_ids:
        assert any(line.split()[0] == node_id for line in out.splitlines()[3:]), node_id
    assert "conv_encoder" in out and "latent=4" in out
    assert "hist     mlp           <- enc, x" in out  # predecessors in concatenation order


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def _bad_cases(tmp: Path) -> dict[str, list[str]]:
    unknown_kind, cycle = base_dict(), base_dict()
    unknown_kind["networks"][2]["kind"] = "transformer"
    cycle["edges"].append(["hist", "enc"])
    return {
        "malformed JSON": ["genome", "validate", str(_write(tmp, "a.json", '{"schema": 1,'))],
        "unknown node kind": ["genome", "show",
                              str(_write(tmp, "b.json", json.dumps(unknown_kind)))],
        "cycle": ["genome", "validate", str(_write(tmp, "c.json", json.dumps(cycle)))],
        "missing file": ["genome", "validate", str(tmp / "nope.json")],
        "unknown task": ["genome", "sample", "--task", "nope"],
        "unknown space": ["genome", "sample", "--space", "nope"],
        "bad option value": ["genome", "sample", "--seed", "many"],
    }


EXPECTED = {
    "malformed JSON": "genome JSON is malformed",
    "unknown node kind": "node 'hist': network kind 'transformer' unknown",
    "cycle": "cycle enc -> hist -> enc [rule: acyclic]",
    "missing file": "nope.json",
    "unknown task": "unknown task 'nope'; valid choices:",
    "unknown space": "unknown search space 'nope'; valid choices: mlp, multinet",
    "bad option value": "invalid int value: 'many'",
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_is_one_line_exit_2_nothing_written(
        case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    args = _bad_cases(tmp_path)[case]
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    try:
        code = main(args)
    except SystemExit as exc:  # argparse errors leave through parser.exit(2, ...)
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("nas-ops: error: ")
    assert EXPECTED[case] in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    cycle = base_dict()
    cycle["edges"].append(["hist", "enc"])
    proc = run_cli("genome", "validate", "-", stdin=json.dumps(cycle))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "nas-ops: error: stdin: genome invalid: node 'enc': cycle enc -> hist -> enc "
        "[rule: acyclic]"]
