"""The study design a reviewer accepts: matched controls, bases trained to convergence, no
copied results, applicability and convergence recorded, an exact progress total."""

from __future__ import annotations

import pytest

from nas_ops import load_run
from nas_ops.analysis.bases import chance_accuracy_bound
from nas_ops.config import RunConfig, StudyConfig, config_from_record, load_config
from nas_ops.engine.study import Study
from nas_ops.errors import ConfigError
from nas_ops.tasks import load_task
from nas_ops.training import Budget
from nas_ops.variation.events import MATCHED_CONTROL
from tests.configs import write_config

OPERATORS = ["change_units", "add_layer", "remove_connection", "change_learning_rate"]
STUDY = {"seed": 2, "study__base_models": 2, "study__variations": 1,
         "study__operators": OPERATORS, "study__controls": 1, "study__base_patience": 2,
         "study__base_max_epochs": 30,
         "evaluation__reuse_duplicates": True}  # ignored by a study: nothing is copied


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    base = tmp_path_factory.mktemp("design")
    config = load_config(write_config(base / "study.toml", **STUDY))
    st = Study(config, base / "run", progress=False)
    st.run()
    return st, load_run(base / "run")


def test_every_edit_has_a_matched_control_on_the_same_networks(study) -> None:
    _, run = study
    by_uid = run.by_uid()
    events = {v.child: v.event for v in run.variations if v.child}
    edits = [i for i in run.individuals if i.uid.startswith("v")]
    controls = [i for i in run.individuals if i.operator == MATCHED_CONTROL]
    assert edits and {c.uid for c in controls} == {"m" + e.uid for e in edits}
    for edit in edits:
        control = by_uid["m" + edit.uid]
        base = by_uid[edit.parents[0]]
        assert control.parents == edit.parents
        assert control.hash == base.hash  # no edit...
        assert control.evaluation.status == "ok"  # ...and trained, not copied
        assert control.evaluation.trained_networks == edit.evaluation.trained_networks
        ev = events[control.uid]
        assert ev.operator == MATCHED_CONTROL and ev.parents == [base.uid]
        assert ev.decisions == [{"name": "control_of", "value": edit.uid}]
        assert control.evaluation.steps == edit.evaluation.steps  # the same budget
        for out in control.genome.output_ids:  # outputs its networks do not reach stay put
            if out not in ev.affected_outputs:
                assert control.evaluation.val[out] == base.evaluation.val[out]


def test_bases_train_to_convergence_and_say_so(study) -> None:
    st, run = study
    bases = {i.uid: i for i in run.individuals if i.generation == 0}
    meta = run.meta.bases
    assert set(meta) == set(bases)
    task = load_task("mnist1d", n_train=200)
    bound = chance_accuracy_bound(len(task.val), 10)
    budget = st.base_budget()
    assert budget == Budget(epochs=30, patience=2)
    for uid, info in meta.items():
        rec = bases[uid].evaluation
        assert info["steps"] == rec.steps
        cap = budget.step_cap(len(task.train), bases[uid].genome.hyper.batch_size)
        assert info["converged"] == (rec.steps < cap)
        assert info["chance_level"] == (rec.val["class"]["accuracy"] <= bound)
    assert any(info["converged"] for info in meta.values())
    children_steps = {i.evaluation.steps for i in run.individuals if i.generation == 1}
    assert max(info["steps"] for info in meta.values()) > max(children_steps)


def test_no_result_is_copied_and_the_progress_total_is_exact(study) -> None:
    st, run = study
    statuses = {i.evaluation.status for i in run.individuals}
    assert statuses == {"ok"}
    assert not any(i.evaluation.duplicate_of for i in run.individuals)
    assert st.search.progress.total == len(run.individuals) == st.search.done


def test_applicability_is_recorded_per_base_and_operator(study) -> None:
    _, run = study
    meta = run.meta.applicability
    bases = sorted(i.uid for i in run.individuals if i.generation == 0)
    assert sorted(meta) == bases
    for base in bases:
        assert set(meta[base]) == set(OPERATORS)
        edits = [i for i in run.individuals if i.uid.startswith("v") and i.parents[0] == base]
        for op in OPERATORS:
            assert meta[base][op] == sum(e.operator == op for e in edits)
        slots: dict[int, list] = {}  # type: ignore[type-arg]
        for v in run.variations:
            if v.generation == 1 and v.event.parents == [base]:
                slots.setdefault(v.slot, []).append(v)
        for attempts in slots.values():  # a slot without a child tried max_attempts draws
            if all(v.child is None for v in attempts):
                assert len(attempts) == 10


def test_chance_bound_and_study_settings() -> None:
    assert 0.1 < chance_accuracy_bound(750, 10) < 0.13
    assert chance_accuracy_bound(100, 2) == pytest.approx(0.6)
    with pytest.raises(ConfigError, match="study.base_patience"):
        StudyConfig(base_patience=-1)
    with pytest.raises(ConfigError, match="study.base_max_epochs"):
        StudyConfig(base_max_epochs=0)
    assert StudyConfig().matched_controls
    recorded = RunConfig().to_dict()  # as a ledger recorded it before matched controls
    del recorded["study"]["matched_controls"]
    assert config_from_record(recorded).study.matched_controls is False
    # ... and before relevance was averaged over draws: one draw, as it was measured
    assert RunConfig().evaluation.relevance_draws == 5
    del recorded["evaluation"]["relevance_draws"]
    assert config_from_record(recorded).evaluation.relevance_draws == 1


def test_bases_at_chance_get_no_children_unless_asked(tmp_path) -> None:
    # 1 epoch on 200 samples leaves the class output at chance: by default such a base gets no
    # children (no rule could come from them); children_at_chance = true varies it anyway
    over = {"seed": 4, "study__base_models": 2, "study__variations": 1,
            "study__operators": ["change_units"]}
    runs = {}
    for flag in (False, True):
        config = load_config(write_config(tmp_path / f"{flag}.toml", **over,
                                          study__children_at_chance=flag))
        Study(config, tmp_path / str(flag), progress=False).run()
        runs[flag] = load_run(tmp_path / str(flag))
    meta = runs[False].meta.bases
    assert sorted(meta) == ["b000", "b001"] and all(m["chance_level"] for m in meta.values())
    assert [i.uid for i in runs[False].individuals] == ["b000", "b001"]
    assert runs[False].meta.applicability == {} and runs[False].meta.status == "finished"
    assert sorted(runs[True].meta.applicability) == ["b000", "b001"]
    assert len(runs[True].individuals) == 2 + 2 * 2  # an edit and its matched control each
