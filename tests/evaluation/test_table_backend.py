"""The 'table' backend: a lookup answering with the table's own values, importing no torch."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

from nas_ops.evaluation.table import TableEvaluator
from nas_ops.genome import to_dict
from nas_ops.records import EvalRequest
from nas_ops.spaces import get_space
from nas_ops.tables import get_table
from search_spaces import nb201 as nb201_space
from search_spaces import nbgraph as nbgraph_space
from tests.tables.conftest import needs_tables

pytestmark = needs_tables
ROOT = Path(__file__).resolve().parents[2]


def _request(genome, task: str, **options) -> EvalRequest:  # type: ignore[no-untyped-def]
    return EvalRequest(uid="u", genome=to_dict(genome), seed=0, task=task, task_options=options)


def _one(request: EvalRequest):  # type: ignore[no-untyped-def]
    ev = TableEvaluator()
    ev.submit(request)
    return next(iter(ev.as_completed()))


def test_nbgraph_records_hold_the_tables_values() -> None:
    genome = nbgraph_space.build("citeseer", (0, 1, 1, 2), ("gcn", "sage", "skip", "arma"))
    table = get_table("nbgraph", "citeseer")
    row = table.row(get_space("nbgraph").key_of(genome))  # type: ignore[attr-defined]
    rec = _one(_request(genome, "nbgraph", dataset="citeseer"))
    assert rec.status == "ok" and rec.steps == 1 and rec.device == "table"
    assert rec.val == {"class": {"accuracy": table.columns["valid_perf"][row]}}
    assert rec.test == {"class": {"accuracy": table.columns["perf"][row]}}
    assert rec.complexity == {"parameters": round(table.columns["para"][row] * 1e6),
                              "latency_us": round(table.columns["latency"][row] * 1e6)}


def test_nb201_records_hold_baseline_analog_and_drift_accuracy() -> None:
    ops = ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3",
           "nor_conv_3x3")
    rec = _one(_request(nb201_space.build("cifar10", ops), "nb201"))
    table = get_table("nb201", "cifar10")
    row = table.row("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
                    "nor_conv_3x3~1|nor_conv_3x3~2|")
    assert rec.val["class"] == {
        "accuracy": table.columns["baseline_accuracy"][row] / 100,
        "analog_accuracy": table.columns["analog_accuracy"][row] / 100,
        "drift_30d_accuracy": table.columns["analog_drift_2592000"][row] / 100}
    assert rec.test == rec.val and rec.steps == 1
    assert rec.complexity["parameters"] == 1_288_506  # 5 convs 3x3 on the 0.07 M skeleton


def test_what_the_table_lacks_is_a_failed_record_naming_why() -> None:
    cora = nbgraph_space.build("cora", (0, 0, 1, 1), ("gat", "gcn", "gcn", "gcn"))
    rec = _one(_request(cora, "nbgraph", dataset="proteins"))
    assert rec.status == "failed" and "for cora, the task's dataset is proteins" in rec.error
    proteins = nbgraph_space.build("proteins", (0, 0, 1, 1), ("gat", "gcn", "gcn", "gcn"))
    rec = _one(_request(proteins, "nbgraph", dataset="proteins"))
    assert rec.status == "failed" and "'gat' is not trained on proteins" in rec.error
    rec = _one(_request(cora, "mnist1d"))
    assert rec.status == "failed" and "answers the table tasks" in rec.error


def test_the_backend_imports_no_torch(tmp_path: Path) -> None:
    genome = nbgraph_space.build("cora", (0, 0, 1, 1), ("gat", "gcn", "gcn", "gcn"))
    request = json.dumps(_request(genome, "nbgraph", dataset="cora").to_dict())
    code = ("import json, sys\n"
            "from nas_ops.evaluation import make_evaluator\n"
            "from nas_ops.config import EvaluationConfig\n"
            "from nas_ops.records import EvalRequest\n"
            "ev = make_evaluator(EvaluationConfig(backend='table'))\n"
            f"ev.submit(EvalRequest.from_dict(json.loads({request!r})))\n"
            "rec = next(iter(ev.as_completed()))\n"
            "print(rec.status, 'torch' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "False"]


def test_the_coordinators_genome_object_gives_the_same_record_and_never_travels() -> None:
    genome = nbgraph_space.build("cora", (0, 0, 1, 2), ("gat", "gcn", "skip", "sage"))
    plain = _request(genome, "nbgraph", dataset="cora")
    carried = dataclasses.replace(plain, genome_object=genome)
    assert carried == plain and "genome_object" not in carried.to_dict()
    assert EvalRequest.from_dict(carried.to_dict()) == plain
    assert pickle.loads(pickle.dumps(carried)).genome_object is None  # a process boundary
    with_object, parsed = _one(carried), _one(plain)
    assert dataclasses.replace(with_object, wall_time_s=0.0) == dataclasses.replace(
        parsed, wall_time_s=0.0)
    # the object is what is looked up: a proteins genome under a cora dict fails as such
    other = nbgraph_space.build("proteins", (0, 0, 1, 2), ("gcn",) * 4)
    rec = _one(dataclasses.replace(plain, genome_object=other))
    assert rec.status == "failed" and "the genome is an architecture for proteins" in rec.error
