"""A tiny real study: base models diagnosed, children retrained only where the variation acts."""

import pytest

from nas_ops import load_run
from nas_ops.config import load_config
from nas_ops.engine.study import Study
from tests.configs import write_config

# the retrain-everything arm (matched controls: tests/engine/test_study_design.py)
STUDY = {"seed": 2, "study__base_models": 2, "study__variations": 2,
         "study__operators": ["change_units", "add_layer", "change_activation", "add_connection"],
         "study__controls": 2, "study__matched_controls": False}


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("study")
    config = load_config(write_config(base / "study.toml", **STUDY))
    Study(config, base / "run", progress=False).run()
    return load_run(base / "run")


def test_study_ledger_has_bases_children_and_diagnoses(study_run):
    run = study_run
    assert run.meta.kind == "study" and run.meta.status == "finished"
    bases = [i for i in run.individuals if i.generation == 0]
    children = [i for i in run.individuals
                if i.generation == 1 and i.operator != "retrain_control"]
    assert len(bases) == 2
    assert 1 <= len(children) <= 2 * 4 * 2
    assert {c.parents[0] for c in children} <= {b.uid for b in bases}
    diagnosed = {row[0] for row in run.diagnoses}
    assert diagnosed == {b.uid for b in bases}


def test_children_retrain_only_affected_networks_and_keep_other_outputs(study_run):
    run = study_run
    by_uid = run.by_uid()
    events = {v.child: v.event for v in run.variations if v.child}
    checked = 0
    for child in (i for i in run.individuals if i.generation == 1):
        ev, rec = events[child.uid], child.evaluation
        parent = by_uid[child.parents[0]].evaluation
        if rec.status != "ok" or ev.diff.get("hyper_changed"):
            continue
        assert set(rec.trained_networks) <= set(child.genome.network_ids)
        assert len(rec.trained_networks) < len(child.genome.network_ids) or ev.affected_outputs
        for out in child.genome.output_ids:
            if out not in ev.affected_outputs:
                assert rec.val[out] == parent.val[out], (child.uid, child.operator, out)
                checked += 1
    assert checked > 0, "some variation must leave an output untouched"


def test_controls_retrain_the_parent_genome_with_its_own_seed(study_run):
    run = study_run
    by_uid = run.by_uid()
    controls = [i for i in run.individuals if i.operator == "retrain_control"]
    assert len(controls) == 2 * 2
    for c in controls:
        parent = by_uid[c.parents[0]]
        assert c.hash == parent.hash  # no edit...
        assert c.evaluation.status == "ok"  # ...yet trained, not reused as a duplicate
        assert set(c.evaluation.trained_networks) == set(parent.genome.network_ids)
        assert c.evaluation.val != parent.evaluation.val
    made = [v for v in run.variations if v.operator == "retrain_control"]
    assert {v.child for v in made} == {c.uid for c in controls}
