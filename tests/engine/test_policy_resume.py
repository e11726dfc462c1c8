"""Real searches with the guided, diagnosis and frrmab policies: killed with SIGKILL at random
moments and resumed, they end with the ledger of the uninterrupted run; the targets the
policies chose are honoured by the operators; a guided run keeps the rules it started with."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nas_ops import run_search
from nas_ops.genome import Genome
from nas_ops.store import load_run, run_contents
from tests.configs import write_config
from tests.killing import cli, kill_after

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "data" / "guidelines.json"
CHEAP_DIAGNOSIS = {"evaluation__diagnose": True, "evaluation__diagnose_capacity": False,
                   "evaluation__relevance_draws": 1}


def config(tmp_path: Path, policy: str) -> Path:
    over: dict[str, object] = {"policy__name": policy, "seed": 5}
    if policy != "frrmab":
        over.update(CHEAP_DIAGNOSIS)
    if policy == "guided":
        rules = tmp_path / "guidelines.json"
        shutil.copy(FIXTURE, rules)
        over["policy__guidelines"] = str(rules)
    return write_config(tmp_path / f"{policy}.toml", **over)


def clean_run(cfg: Path, out: Path) -> dict:
    run_search(cfg, out, progress=False)  # in-process: same engine, no interpreter start
    return run_contents(out)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    """The uninterrupted run of each policy (made once): (its directory, its config)."""
    made: dict[str, tuple[Path, Path]] = {}

    def get(policy: str) -> tuple[Path, Path]:
        if policy not in made:
            where = tmp_path_factory.mktemp(f"clean-{policy}")
            cfg = config(where, policy)
            clean_run(cfg, where / "run")
            made[policy] = (where / "run", cfg)
        return made[policy]

    return get


def killed_run(cfg: Path, out: Path, seed: int, before_resume=None) -> dict:
    rng = np.random.default_rng(seed)  # where to kill: random, but the test is repeatable
    for evals in sorted(rng.integers(2, 11, size=1)):  # one kill: CI time
        args = ["resume", str(out)] if out.exists() else ["search", str(cfg), "--out", str(out)]
        kill_after(cli(*args, "--quiet"), out, int(evals), float(rng.uniform(0, 0.5)))
    if before_resume is not None:
        before_resume()
    done = subprocess.run(cli("resume", str(out), "--quiet"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return run_contents(out)


def near(genome: Genome, nodes: list[str]) -> set[str]:
    """``nodes`` and their neighbours in ``genome``."""
    out = set(nodes)
    for n in nodes:
        if genome.has_node(n):
            out.update(genome.predecessors(n), genome.successors(n))
    return out


def hinted(run_dir: Path) -> list[tuple[dict, list[str], Genome]]:
    run = load_run(run_dir)
    genomes = {i.uid: i.genome for i in run.individuals}
    return [(v.event.hint, v.event.touched, genomes[v.event.parents[0]])
            for v in run.variations if v.event.hint and v.status == "ok"]


@pytest.mark.parametrize("policy", ["guided", "diagnosis", "frrmab"])
def test_killed_and_resumed_policy_run_equals_the_uninterrupted_run(policy: str, clean,
                                                                    tmp_path: Path) -> None:
    done, cfg = clean(policy)  # the killed run uses the same config file (and rules file)
    expected = run_contents(done)
    assert expected["status"] == "finished" and len(expected["individuals"]) == 12
    rules = cfg.parent / "guidelines.json"

    def spoil_the_rules_file() -> None:  # a resumed guided run uses the rules it recorded
        rules.write_text("not json any more")

    try:
        got = killed_run(cfg, tmp_path / "killed", 11,
                         spoil_the_rules_file if policy == "guided" else None)
    finally:
        if policy == "guided":
            shutil.copy(FIXTURE, rules)
    assert got == expected
    assert sorted(load_run(tmp_path / "killed").diagnoses) == sorted(load_run(done).diagnoses)
    if policy == "frrmab":
        window = [c[3]["window"] for c in expected["checkpoints"]][-1]
        assert window and all(fir >= 0 for _, fir in window)
        return
    assert any(d for d in load_run(done).diagnoses)
    assert hinted(done), "the policy gave no hint in the whole run"


def test_guided_run_records_its_rules_and_follows_them(clean) -> None:
    out, _ = clean("guided")
    run = load_run(out)
    recorded = run.meta.guidelines
    assert recorded["sha256"] == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    fixture = json.loads(FIXTURE.read_text())["rules"]
    usable = {(r["operator"], r["output"]) for r in fixture
              if r["replicated"] and r["direction"] == "improves"}
    ruled = [(h, t, g) for h, t, g in hinted(out) if h["reason"].startswith("rule")]
    assert ruled, "no child came from a rule"
    events = {(v.event.hint.get("reason"), v.operator) for v in run.variations if v.event.hint}
    for reason, op in events:
        if reason.startswith("rule"):
            assert any(op == o and f"improves {out_}" in reason for o, out_ in usable)
    assert sum(h["honoured"] for h, _, _ in ruled) >= len(ruled) / 2


@pytest.mark.parametrize("policy", ["guided", "diagnosis"])
def test_chosen_targets_are_honoured(policy: str, clean) -> None:
    out, _ = clean(policy)
    targeted = [(h, t, g) for h, t, g in hinted(out) if h["target"]]
    assert targeted
    for hint, touched, parent in targeted:
        if hint["honoured"]:  # some choice of the operator could act on or next to the target
            assert set(touched) & near(parent, hint["target"]), (hint, touched)
    assert sum(h["honoured"] for h, _, _ in targeted) >= len(targeted) / 2
