"""The parent's state the engine hands a policy: diagnosis rows, standing in the population,
size, and what a duplicate or a failed parent gets."""

from __future__ import annotations

import pytest

from nas_ops.engine.individuals import Candidate
from nas_ops.engine.parents import parent_state
from nas_ops.records import EvalRecord
from nas_ops.tasks.base import OutputSpec
from tests.operators.handmade import handmade

OUTPUTS = (OutputSpec("class", "classification", 10), OutputSpec("histogram", "regression", 32),
           OutputSpec("reconstruction", "generation", 40, source="x"))


def member(uid: str, acc: float, hist: float, recon: float, params: int, status: str = "ok",
           rows: tuple = (), duplicate_of: str = "") -> Candidate:
    cand = Candidate(uid, 0, 0, handmade(), 0)
    cand.record = EvalRecord(uid, status, complexity={"parameters": params},
                             diagnosis=list(rows), duplicate_of=duplicate_of)
    cand.objectives = [acc, hist, recon, float(params)]
    return cand


ROWS = (("n1", "class", "relevance", 2.5), ("n1", "class", "ablation", 9.0),
        ("n3", "reconstruction", "relevance", 1.01))


def test_standing_is_the_rank_percentile_of_the_error_among_the_evaluated_pool() -> None:
    members = {c.uid: c for c in (
        member("a", 0.9, 0.010, 0.05, 100, rows=ROWS),
        member("b", 0.5, 0.020, 0.01, 300),
        member("c", 0.7, 0.005, 0.02, 200),
        member("d", 0.0, 1e6, 1e6, 0, status="failed"))}
    st = parent_state(members["a"], members, ["a", "b", "c", "d"], OUTPUTS, ("class",), ("x",))
    # errors: class a .1, b .5, c .3 -> a best (1/3); histogram a is 2nd (2/3); recon worst (1)
    assert st.standing == pytest.approx({"class": 1 / 3, "histogram": 2 / 3,
                                         "reconstruction": 1.0})
    assert st.worst_output == "reconstruction"
    assert st.size == pytest.approx(1 / 3)
    assert st.relevance == {"n1": {"class": 2.5}, "n3": {"reconstruction": 1.01}}
    assert st.rel("n1", "class") == 2.5 and st.rel("n0", "class") == 1.0
    assert st.affected["n0"] == ("class", "reconstruction") and st.safe == ("class",)
    assert st.tried == ("x",)


def test_a_duplicate_reads_its_originals_diagnosis_and_a_failed_parent_has_no_standing() -> None:
    members = {c.uid: c for c in (
        member("a", 0.9, 0.01, 0.05, 100, rows=ROWS),
        member("b", 0.9, 0.01, 0.05, 100, status="duplicate", duplicate_of="a"),
        member("f", 0.0, 1e6, 1e6, 0, status="failed"))}
    dup = parent_state(members["b"], members, ["a", "b"], OUTPUTS)
    assert dup.relevance == {"n1": {"class": 2.5}, "n3": {"reconstruction": 1.01}}
    assert dup.standing == {"class": 1.0, "histogram": 1.0, "reconstruction": 1.0}  # ties
    assert dup.worst_output == "class"  # ties: declaration order
    failed = parent_state(members["f"], members, ["a", "b", "f"], OUTPUTS)
    assert failed.standing == {} and failed.worst_output is None and failed.size is None
    assert not failed.diagnosed
