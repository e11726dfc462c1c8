"""The table operator study (studies/table_operators.py, nas_ops/experiments/table_opstudy*.py,
table_neighbours.py, table_effects.py): the walked neighbourhood is exactly what the operators
draw, the statistics against hand-computed values, a CI-size study (200 bases of one dataset)
that resumes and whose guidelines the guided policy reads, the test column never enters, and
one committed effect recomputed from the table with numpy alone."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from nas_ops import ConfigError
from nas_ops.engine.policies.rules import load_rules
from nas_ops.experiments.table_effects import base_medians, cell_stats, median_interval
from nas_ops.experiments.table_neighbours import walk
from nas_ops.experiments.table_opstudy import split_rows, study_table
from nas_ops.experiments.table_opstudy_runner import CELLS, GUIDELINES, file_name, run_all
from nas_ops.spaces import get_space
from nas_ops.tables import get_table
from nas_ops.tables import nb201 as nb201_table
from nas_ops.tables import nbgraph as nbgraph_table
from nas_ops.variation import VariationContext, get_operator
from tests.tables.conftest import needs_tables

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "studies" / "results" / "tables_opstudy"


def test_per_base_medians_and_the_median_interval_by_hand() -> None:
    parent = np.array([3, 1, 3, 1, 1, 7])
    effect = np.array([0.5, 2.0, -0.5, 1.0, 4.0, -3.0])
    bases, med = base_medians(parent, effect)
    assert bases.tolist() == [1, 3, 7] and med.tolist() == [2.0, 0.0, -3.0]
    # n = 10: P(Binomial(10, 1/2) <= 1) = 11/1024 <= 0.025 < P(<= 2): the 2nd and 9th values
    assert median_interval(np.arange(1.0, 11.0)) == (2.0, 9.0)
    assert median_interval(np.array([1.0, 2.0, 3.0])) == (1.0, 3.0)  # too few: the range
    s = cell_stats(np.array([1.0, 2.0, -1.0, 0.0]), 9)
    assert (s["n_bases"], s["n"], s["median"], s["mean"], s["up"], s["down"]) == (
        4, 9, 0.5, 0.5, 0.5, 0.25)


@needs_tables
@pytest.mark.parametrize("dataset", ["cora", "proteins"])
def test_walking_nbgraph_change_op_gives_every_single_operation_change(dataset: str) -> None:
    table = get_table("nbgraph", dataset)
    space = get_space("nbgraph")
    op = get_operator("nbgraph_change_op")
    ops = nbgraph_table.ops_of(dataset)
    for row in np.random.default_rng(0).choice(len(table), 20, replace=False):
        key = table.keys[row]
        base = space.genome_of_key(dataset, key)
        link, cur = nbgraph_table.decode(key)
        oracle = {nbgraph_table.canonical_key(link, [*cur[:k], o, *cur[k + 1:]])
                  for k, o in product(range(4), ops) if o != cur[k]
                  and any(x != "skip" for x in [*cur[:k], o, *cur[k + 1:]])}
        got = walk(op, (base,))
        assert {space.key_of(made[0]) for _, made in got} == oracle
        assert len(got) == sum(1 for k, o in product(range(4), ops) if o != cur[k]
                               and any(x != "skip" for x in [*cur[:k], o, *cur[k + 1:]]))


@needs_tables
@pytest.mark.parametrize("name,dataset,operator", [("nbgraph", "cora", "nbgraph_rewire"),
                                                    ("nb201", "cifar10", "nb201_change_op")])
def test_each_walked_path_replays_through_the_operator_and_draws_stay_inside(
        name: str, dataset: str, operator: str) -> None:
    table = get_table(name, dataset)
    space = get_space(name)
    op = get_operator(operator)
    for row in np.random.default_rng(1).choice(len(table), 8, replace=False):
        base = space.genome_of_key(dataset, table.keys[row])
        walked = {}
        for decisions, made in walk(op, (base,)):
            replayed = op(base, VariationContext.replaying(decisions, space))
            key = space.key_of(made[0])
            assert space.key_of(replayed.children[0]) == key
            walked[json.dumps(decisions)] = key
        assert len(walked) == len(set(walked))  # every path once
        drawn = {json.dumps(op(base, VariationContext.from_seed(s, space)).event.decisions)
                 for s in range(400)}
        assert drawn == set(walked)  # 400 draws meet every path and nothing else
        if name == "nb201":
            cur = nb201_table.parse_cell(table.keys[row])
            oracle = {nb201_table.cell_string([*cur[:k], o, *cur[k + 1:]])
                      for k in range(6) for o in nb201_table.OPS if o != cur[k]}
            assert set(walked.values()) == oracle and len(walked) == 24


@needs_tables
def test_a_ci_size_study_resumes_and_the_guided_policy_reads_its_guidelines(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    tables = ["nbgraph/cora"]
    assert run_all(out, tables, 0, bases=200, say=lambda _: None) == 1
    plan = json.loads((out / "plan.json").read_text())
    fam = plan["tables"]["nbgraph/cora"]
    assert (fam["bases"], fam["discovery"], fam["held_out"], fam["confirmatory_cells"]) == (
        200, 100, 100, 9)
    assert 0.3 < fam["detectable_sd"] < 0.45 and plan["seed"] == 0 and plan["commit"]
    cells = json.loads((out / CELLS / file_name("nbgraph/cora")).read_text())
    ops = cells["operators"]
    assert ops["nbgraph_change_op"]["per_base_min"] == ops["nbgraph_change_op"][
        "per_base_max"] == 32
    assert ops["nbgraph_crossover"]["children"] + sum(
        ops["nbgraph_crossover"]["not_applicable_draws"].values()) == 400
    conf = [c for c in cells["cells"] if c["family"] == "confirmatory"]
    assert {(c["operator"], c["objective"]) for c in conf} == {
        (o, y) for o in ("nbgraph_change_op", "nbgraph_rewire", "nbgraph_crossover")
        for y in ("class", "latency_us", "parameters")}
    for c in cells["cells"]:
        assert c["discovery"]["n_bases"] + c["held_out"]["n_bases"] <= 200
        assert c["replicated"] <= c["significant"]
    rules = load_rules(out / GUIDELINES / file_name("nbgraph/cora"))  # the policy's reader
    assert len(rules.rules) == sum(c["significant"] for c in cells["cells"])
    assert rules.rules[0].condition == "all"  # the confirmatory ones first
    # resume: nothing left; a lost table is studied again, identically
    assert run_all(out, tables, 0, bases=200, say=lambda _: None) == 0
    (out / CELLS / file_name("nbgraph/cora")).unlink()
    assert run_all(out, tables, 0, bases=200, say=lambda _: None) == 1
    again = json.loads((out / CELLS / file_name("nbgraph/cora")).read_text())
    assert again["cells"] == cells["cells"]
    with pytest.raises(ConfigError, match="not these settings: use a new directory$"):
        run_all(out, tables, 1, bases=200, say=lambda _: None)


@needs_tables
def test_the_test_column_never_enters_the_study() -> None:
    a = study_table("nbgraph/cora", 0, bases=300)
    table = get_table("nbgraph", "cora")
    kept = table.columns["perf"].copy()
    table.columns["perf"][:] = np.random.default_rng(1).permutation(kept)
    try:
        b = study_table("nbgraph/cora", 0, bases=300)
    finally:
        table.columns["perf"][:] = kept
    assert a["cells"] == b["cells"] and a["guidelines"] == b["guidelines"]


@needs_tables
def test_a_guided_run_on_a_table_follows_its_replicated_rules_and_their_targets(
        tmp_path: Path) -> None:
    """What docs/tables-policies.md says: the table backend gives no diagnosis, so the guided
    policy follows the replicated rules whose condition needs none or is the table's own
    (percentile band, node, operation replaced); a rule that names nodes has them honoured."""
    import sqlite3

    from nas_ops import run_search
    from nas_ops.config import config_from_dict
    from nas_ops.experiments.table_arms import arm_config

    path = COMMITTED / GUIDELINES / file_name("nbgraph/cora")
    data = arm_config("nbgraph/cora", "aging", 0, 80).to_dict()
    data["policy"].update(name="guided", guidelines=str(path))
    data["evaluation"]["diagnose"] = True
    run_search(config_from_dict(data), tmp_path / "run", progress=False)
    ledger = sqlite3.connect(tmp_path / "run" / "ledger.sqlite")
    hints = [json.loads(ev)["hint"] for (ev,) in ledger.execute("SELECT event FROM variations")]
    rules = json.loads(path.read_text())["rules"]
    usable = {("always" if r["condition"] == "all" else f"{r['condition']} = {r['level']}",
               r["operator"]) for r in rules
              if r["replicated"] and r["direction"] == "improves" and r["output"] == "class"}
    followed = []
    for h in hints:
        if h["reason"].startswith("uniform: "):
            continue
        where, _, rest = h["reason"].removeprefix("rule (").partition("): ")
        followed.append((where, rest.split(" improves")[0]))
        assert h["honoured"] or not h["target"]
    assert followed and set(followed) <= usable
    assert {w.split(" = ")[0] for w, _ in followed} & {"percentile", "target", "replaced"}


def test_bad_table_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "studies" / "table_operators.py"), "run",
                           str(tmp_path / "out"), "--tables", "nbgraph/cora,nbgraph/mnist"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("--tables: unknown table 'nbgraph/mnist'; valid: nbgraph/cora")
    assert len(proc.stderr.splitlines()) == 1 and not (tmp_path / "out").exists()


@needs_tables
@pytest.mark.golden
def test_a_committed_effect_recomputed_from_the_table_with_numpy_alone() -> None:
    """nb201_change_op on baseline accuracy: every cell at Hamming distance 1, per-base median,
    then the median over the discovery half; the split is ``split_bases`` on row uids: a
    permutation by ``default_rng([seed, 2])``, the first ceil(n / 2) rows discovery."""
    plan = json.loads((COMMITTED / "plan.json").read_text())
    cells = json.loads((COMMITTED / CELLS / "nb201_cifar10.json").read_text())
    cell = next(c for c in cells["cells"] if c["operator"] == "nb201_change_op"
                and c["condition"] == "all" and c["objective"] == "class")
    table = get_table("nb201", "cifar10")
    acc = table.columns["baseline_accuracy"] / 100.0
    names = np.array(nb201_table.OPS)
    ops = np.array([[int(np.flatnonzero(names == op)[0]) for op in
                     nb201_table.parse_cell(k)] for k in table.keys])  # rows x 6 edges
    code = ops @ (5 ** np.arange(6))
    row_of = np.empty(5 ** 6, dtype=np.int64)
    row_of[code] = np.arange(len(code))
    medians = np.empty(len(code))
    for r in range(len(code)):
        kids = [code[r] + (v - ops[r, e]) * 5 ** e for e in range(6) for v in range(5)
                if v != ops[r, e]]
        medians[r] = np.median(np.round(acc[row_of[kids]] - acc[r], 12))
    n = len(code)
    disc = np.random.default_rng([plan["seed"], 2]).permutation(n)[: (n + 1) // 2]
    assert np.median(medians[disc]) == pytest.approx(cell["discovery"]["median"], abs=1e-12)
    assert split_rows(n, plan["seed"])[0].tolist() == sorted(disc.tolist())
    assert not math.isnan(cell["p_adjusted"])
