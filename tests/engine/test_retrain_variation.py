"""The engine's no-edit variation ``retrain_control`` in a search: the "training-only" arm of a
search decomposition (issue 24 point 4). A child is its parent retrained whole from the parent's
weights, always trained although its genome equals its parent's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from nas_ops import run_search
from nas_ops.errors import ConfigError
from nas_ops.store import load_run, run_contents
from nas_ops.variation import RETRAIN_CONTROL
from tests.configs import tiny_config, write_config
from tests.killing import kill_and_resume


def test_a_training_only_search_retrains_each_parent_from_its_weights(tmp_path: Path) -> None:
    cfg = tiny_config(operators=[RETRAIN_CONTROL], search__generations=3,
                      evaluation__inherit_weights=True)
    run_search(cfg, tmp_path / "run", progress=False)
    run = load_run(tmp_path / "run")
    by_uid = run.by_uid()
    children = [i for i in run.individuals if i.parents]
    assert len(children) == 4 * 3
    for child in children:
        parent = by_uid[child.parents[0]]
        assert child.operator == RETRAIN_CONTROL and child.hash == parent.hash
        assert child.evaluation is not None and child.evaluation.status == "ok"  # not a duplicate
        assert child.evaluation.steps > 0
        assert child.evaluation.val != parent.evaluation.val  # trained further: it moved
    db = sqlite3.connect(tmp_path / "run" / "ledger.sqlite")
    rows = [(child, json.loads(e)) for child, e in db.execute("SELECT child, event FROM "
                                                              "variations")]
    assert {e["operator"] for _, e in rows} == {RETRAIN_CONTROL}
    for child, e in rows:  # every network copied whole from the parent's network of its id
        (imap,) = e["inheritance"]
        nets = set(by_uid[child].genome.network_ids)
        assert set(imap) == nets
        assert all(v["mode"] == "full" and v["source"] == k and v["transforms"] == []
                   for k, v in imap.items())
        assert e["decisions"] == [{"name": "control", "value": child}]
    assert run.meta.components is not None
    assert [o["name"] for o in run.meta.components["operators"]] == [RETRAIN_CONTROL]


def test_retraining_mixes_with_edits_under_a_bandit(tmp_path: Path) -> None:
    cfg = tiny_config(operators=["add_layer", RETRAIN_CONTROL], policy__name="frrmab",
                      search__generations=3)
    run_search(cfg, tmp_path / "run", progress=False)
    ops = {i.operator for i in load_run(tmp_path / "run").individuals if i.parents}
    assert ops == {"add_layer", RETRAIN_CONTROL}


def test_an_unknown_operator_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        run_search(tiny_config(operators=["retrain_contro"]), tmp_path / "run", progress=False)
    assert str(err.value).startswith("policy.operators: unknown operator 'retrain_contro'; "
                                     "valid choices: add_connection, ")
    assert str(err.value).endswith(", retrain_control") and not (tmp_path / "run").exists()


@pytest.mark.slow
def test_a_killed_training_only_search_resumes_exactly(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", operators=[RETRAIN_CONTROL],
                       search__generations=3)
    run_search(tiny_config(operators=[RETRAIN_CONTROL], search__generations=3),
               tmp_path / "clean", progress=False)
    kill_and_resume(cfg, tmp_path / "killed", 7)
    assert run_contents(tmp_path / "killed") == run_contents(tmp_path / "clean")
