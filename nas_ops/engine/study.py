"""Study mode: the operator-characterization protocol of the original study.

``base_models`` genomes are sampled and trained (and diagnosed): with ``base_patience`` > 0 to
convergence (early stopping on validation loss, best weights restored; ``meta.bases`` records
per base whether it converged, its steps and whether it is at chance level). Then each receives
independent single variations. Each child inherits its parent's weights and retrains only the
networks the variation touched (and those downstream), under the same budget.

Controls measure what the extra training alone does. ``matched_controls`` (the default): every
edit child ``v<b>-<k>`` gets a control ``mv<b>-<k>`` (operator ``matched_control``): the base's
own genome and weights, no edit, retrained on exactly the edit child's trainable networks under
the same budget, seed rule and retrain setting; its event's decision ``control_of`` names the
edit. ``controls``: per base, retrain-everything children (operator ``retrain_control``).

A study copies no result: every candidate is trained even when an identical genome was (the
``[evaluation] reuse_duplicates`` setting is ignored), so every replicate is a real one.
``meta.applicability`` records how many edit children each operator gave each base.
A base model at chance level gets no children (its effects could not support a rule, see
:mod:`nas_ops.analysis.bases`) unless ``children_at_chance``; it has no applicability entry.

Everything lands in the same ledger schema as a search (``meta.kind = "study"``; base models are
generation 0, children generation 1 with ``slot = base * per_base + k``; matched controls take
the slots after all of those), so reports and resume work unchanged.

A budget-map study (``[study] parent_epochs``, ``[study] retrain``) repeats every edit and its
controls in each parent state x retraining rule (:mod:`nas_ops.engine.study_cells`); the extra
parent states are more generation-0 base models, the cells' children all generation 1.

A :class:`Study` is the plan of a :class:`~nas_ops.engine.search.Search`: the search records,
evaluates (``run()`` or ``ask()``/``tell()``) and resumes; the study only decides what to evaluate.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from nas_ops.analysis.baseline import CONTROL
from nas_ops.config import RunConfig
from nas_ops.engine.arena import Arena, Loop
from nas_ops.engine.breeding import unedited
from nas_ops.engine.checks import check_study
from nas_ops.engine.individuals import Candidate
from nas_ops.engine.search import Search
from nas_ops.engine.study_cells import Cell, cells, design_meta, is_map, state_base_uid
from nas_ops.engine.study_records import bases_meta, convergence_line, no_children_note
from nas_ops.engine.summary import SearchSummary
from nas_ops.errors import AllFailedError, ConfigError
from nas_ops.evaluation import Evaluator
from nas_ops.rng import generator, torch_seed
from nas_ops.training import Budget
from nas_ops.variation import VariationEvent
from nas_ops.variation.events import MATCHED_CONTROL


class Study:
    def __init__(self, config: RunConfig, run_dir: str | Path, *, progress: bool = True,
                 evaluator: Evaluator | None = None) -> None:
        self.config = config
        if config.budget.total_steps:
            raise ConfigError(f"budget.total_steps = {config.budget.total_steps} is a search "
                              "budget; a study trains every child it plans: remove it")
        check_study(config)  # a bad study.operators fails before the run directory exists
        self.notes: list[str] = []  # for the summary: why no child was bred
        self.search = Search(config, run_dir, progress=progress, evaluator=evaluator, plan=self)
        try:
            self._plan()  # a bad study.operators fails before anything is recorded
        except ConfigError:
            self.search.close()
            raise

    def run(self) -> SearchSummary:
        try:
            summary = self.search.run()
        except AllFailedError as exc:
            exc.summary.notes += self.notes
            raise
        summary.notes += self.notes
        return summary

    def _record_variation(self, generation: int, slot: int, attempt: int,
                          event: VariationEvent, child: str | None) -> None:
        self.search.record_variation(generation, slot, attempt, event, child)

    def _control(self, base: Candidate, slot: int, uid: str, seed_uid: str) -> Candidate:
        """A retrain-only child: no edit, every network trained again from the parent's weights
        with the child's own seed; recorded like a variation of operator ``retrain_control``."""
        outputs = list(base.genome.output_ids)
        return self._unedited(base, slot, uid, CONTROL, list(base.genome.network_ids), outputs,
                              None, seed_uid)

    def _matched(self, base: Candidate, edit: Candidate, slot: int, seed_uid: str) -> Candidate:
        """The matched control of ``edit``: ``base`` unedited, retrained on exactly the edit
        child's trainable networks (a network the edit created does not exist here and trains
        nowhere); recorded as operator ``matched_control`` with decision ``control_of``."""
        trainable = list(edit.trainable or [])
        outputs = base.genome.reachable_outputs(trainable)
        return self._unedited(base, slot, "m" + edit.uid, MATCHED_CONTROL, trainable, outputs,
                              edit.uid, seed_uid)

    def _unedited(self, base: Candidate, slot: int, uid: str, operator: str,
                  trainable: list[str], outputs: list[str], control_of: str | None,
                  seed_uid: str) -> Candidate:
        cand, event = unedited(base, uid, operator, trainable, outputs, control_of)
        self._record_variation(1, slot, 0, event, uid)
        cand.generation, cand.slot = 1, slot
        cand.seed = torch_seed(self.config.seed, "eval", seed_uid)
        return cand

    def base_budget(self) -> Budget | None:
        """The base models' training budget when they train to convergence (``None``: they
        train under ``[budget]`` like every child)."""
        st, b = self.config.study, self.config.budget
        if not st.base_patience:
            return None
        return Budget(epochs=st.base_max_epochs, max_steps=st.base_max_steps or None,
                      time_limit_s=b.time_limit_s or None, patience=st.base_patience,
                      eval_every=st.base_eval_every or None)

    def _plan(self) -> list[str | None]:
        """The operator of each variation slot of one base model (None = drawn by the policy)."""
        st = self.config.study
        mutation_ops = self.search.breeder.mutation_ops
        ops = st.operators or mutation_ops
        for op in ops:
            if op not in mutation_ops:
                raise ConfigError(f"study.operators: {op!r} is not a mutation (arity 1) operator "
                                  f"of this run; valid: {', '.join(mutation_ops)}")
        if st.mode == "drawn":
            return [None] * st.variations
        return [op for op in ops for _ in range(st.variations)]

    def _bases(self) -> list[Candidate]:
        """The base models, then (a budget-map study) each again in every other parent state:
        same genome and seed, trained exactly that many epochs, not diagnosed (the map reads no
        covariate; a diagnosis costs about as much as the training)."""
        bases = []
        n = self.config.study.base_models
        for i in range(n):
            uid = f"b{i:03d}"
            genome = self.search.space.sample(self.search.task,
                                              generator(self.config.seed, "base", i))
            cand = Candidate(uid, 0, i, genome.with_lineage(uid, (), None),
                             torch_seed(self.config.seed, "eval", uid))
            cand.diagnose = True
            cand.force_train = True  # two equal bases are two replicates, both trained
            cand.budget = self.base_budget()
            bases.append(cand)
        for s, epochs in enumerate(self.config.study.parent_epochs, start=1):
            for i, base in enumerate(bases[:n]):
                uid = state_base_uid(base.uid, f"e{epochs}")
                cand = Candidate(uid, 0, s * n + i, base.genome.with_lineage(uid, (), None),
                                 base.seed)
                cand.force_train = True
                cand.budget = Budget(epochs=epochs)
                bases.append(cand)
        return bases

    def loop(self, search: Arena) -> Loop:
        """Base models first, then every child of every base model as one batch."""
        plan = self._plan()
        search.record_meta("kind", "study")
        every = self._bases()
        n = self.config.study.base_models
        bases, cell_list = every[:n], cells(self.config)
        by_uid = {c.uid: c for c in every}
        # exactly what the study evaluates if every base model trains: breeding depends on the
        # genomes only, so a dry run (nothing recorded) counts the children that apply
        search.progress.total = len(every) + len(cell_list) * sum(
            len(self._children(search, b, base, plan, dry=True)[0])
            for b, base in enumerate(bases))
        yield from search.evaluate(every)
        search.checkpoint(0, [b.uid for b in every])
        trained = bases_meta(bases, search.task, self.base_budget())
        for cand in every[n:]:
            trained.update(bases_meta([cand], search.task, cand.budget))
        search.record_meta("bases", trained)
        self._say(search, convergence_line({u: trained[u] for u in trained if u in
                                            {b.uid for b in bases}}, len(bases)))
        children: list[Candidate] = []
        applicability: dict[str, dict[str, int]] = {}
        members: dict[str, list[str]] = {}
        for b, base in enumerate(bases):
            if base.record is None or not base.record.ok:
                continue  # a base model that failed to train has no effects to measure
            if trained[base.uid]["chance_level"] and not self.config.study.children_at_chance:
                continue  # its effects could not make a rule: no training spent on them
            for cell in cell_list:
                parent = by_uid[state_base_uid(base.uid, cell.state)]
                if parent.record is None or not parent.record.ok:
                    continue
                kids, applied = self._children(search, b, parent, plan, cell=cell)
                applicability.setdefault(base.uid, applied)
                children += kids
                members.update({k.uid: [cell.state, cell.rule_name] for k in kids})
        search.record_meta("applicability", applicability)
        if is_map(self.config):
            members.update({c.uid: [c.uid.split(".")[1], ""] for c in every[n:]})
            search.record_meta("cells", design_meta(self.config, members))
        if trained and all(v["chance_level"] for v in trained.values()) \
                and not self.config.study.children_at_chance:
            self.notes.append(no_children_note(len(trained)))  # nothing left to run
        search.progress.total = len(every) + len(children)  # exact when a base failed
        yield from search.evaluate(children)
        search.checkpoint(1, [b.uid for b in every])
        return [b.uid for b in every]

    def _children(self, search: Arena, b: int, base: Candidate, plan: list[str | None], *,
                  dry: bool = False, cell: Cell | None = None
                  ) -> tuple[list[Candidate], dict[str, int]]:
        """Base ``b``'s children in slot order (each edit followed by its matched control, then
        the retrain-everything controls) and how many edit children each operator gave;
        ``base``: the base in the cell's parent state. ``dry``: only to count them; nothing is
        recorded (controls are stand-ins). ``cell``: a budget-map cell (default the first):
        the same random streams and seeds as the first cell, its own slots, uids and budget."""
        st = self.config.study
        stride = len(plan) + st.controls
        cell = cell or cells(self.config)[0]
        offset = cell.index * st.base_models * (stride + len(plan))
        suffix, budget = cell.suffix(is_map(self.config)), cell.budget()

        def shifted(generation: int, slot: int, attempt: int, event: VariationEvent,
                    child: str | None) -> None:
            search.record_variation(generation, slot + offset, attempt, event, child)

        breeder = dataclasses.replace(search.breeder, record=_ignore if dry else shifted)

        def parent(_rng: object) -> Candidate:
            return base

        def kept(cand: Candidate) -> Candidate:
            cand.budget = budget
            return cand

        children: list[Candidate] = []
        applied = dict.fromkeys(self._operators(), 0)
        for k, op in enumerate(plan):
            first = f"v{b:03d}-{k:03d}"  # the first cell's uid: the seed of every cell's child
            child = breeder.breed(1, b * stride + k, first + suffix, parent, op)
            if child is None:
                continue  # every attempt was not applicable (recorded as such)
            child.force_train = True
            child.slot += offset
            child.seed = torch_seed(self.config.seed, "eval", first)
            children.append(kept(child))
            name = child.operator or ""
            applied[name] = applied.get(name, 0) + 1
            if st.matched_controls:  # after every regular slot of every base
                slot = offset + st.base_models * stride + b * len(plan) + k
                children.append(child if dry else
                                kept(self._matched(base, child, slot, "m" + first)))
        if dry:
            children += [base] * st.controls
        else:
            children += [kept(self._control(base, offset + b * stride + len(plan) + k,
                                            f"c{b:03d}-{k:03d}{suffix}", f"c{b:03d}-{k:03d}"))
                         for k in range(st.controls)]
        return children, applied

    def _operators(self) -> list[str]:
        """The operators this study applies (its ``operators``, or every mutation operator)."""
        return list(self.config.study.operators or self.search.breeder.mutation_ops)

    @staticmethod
    def _say(search: Arena, line: str) -> None:
        """A line on the progress stream (when progress is shown)."""
        if search.progress.enabled:
            search.progress.stream.write(("\n" if search.progress.tty else "") + line + "\n")
            search.progress.stream.flush()


def _ignore(*_args: object) -> None:
    """A recorder that records nothing (counting children without recording them)."""
