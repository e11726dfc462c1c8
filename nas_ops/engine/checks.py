"""Checks of a run config against what it names (the task's outputs, the operators, the
machine's devices): they run when a search or study starts, before its directory is created,
so a refused config leaves nothing behind."""

from __future__ import annotations

from collections.abc import Sequence

from nas_ops.config import RunConfig
from nas_ops.engine.breeding import operator_lists
from nas_ops.errors import ConfigError
from nas_ops.infra.devices import check_device
from nas_ops.spaces import get_space
from nas_ops.tasks import Task
from nas_ops.variation import OPERATORS


def run_operators(config: RunConfig) -> list[str]:
    """The operator names a run draws from (every registered one when the config names none);
    an unknown name raises the registry's one-line error."""
    names = list(config.policy.operators or OPERATORS.names())
    for name in names:
        OPERATORS.get(name)
    return names


def _unknown_keys(where: str, table: dict[str, float], valid: Sequence[str]) -> None:
    unknown = sorted(set(table) - set(valid))
    if unknown:
        raise ConfigError(f"{where} names {', '.join(map(repr, unknown))}, not one of this run's; "
                          f"valid: {', '.join(valid)}")


def _check_no_op(config: RunConfig, task: Task, operators: Sequence[str]) -> None:
    """Refuse a config under which no child can ever be bred: every output declared safe (no
    edit may touch any), or fixed policy weights of 0 for every mutation operator."""
    outputs = [spec.name for spec in task.outputs]
    if set(outputs) <= set(config.search.safe_outputs):
        raise ConfigError(f"search.safe_outputs names every output of task {task.name!r} "
                          f"({', '.join(outputs)}): no edit may then touch the model, so no "
                          "child could ever be bred; leave at least one output out")
    mutation, _ = operator_lists(list(operators))
    weights = config.policy.weights
    if config.policy.name == "weights" and mutation \
            and all(weights.get(op, 1.0) == 0 for op in mutation):
        raise ConfigError("policy.weights gives every mutation operator of this run weight 0 "
                          f"({', '.join(mutation)}), so none could be drawn; give at least one "
                          "a weight > 0 (an operator not named has weight 1)")


def check_run(config: RunConfig, task: Task, operators: Sequence[str]) -> None:
    """Refuse what only a started run can tell is wrong: a device absent from this machine,
    output weights for outputs the task lacks, policy weights for operators the run lacks,
    sample quality asked of a task without a generation and a classification output, and a
    config that could breed no child (:func:`_check_no_op`)."""
    check_device(config.evaluation.device, "evaluation.device")
    _unknown_keys("search.output_weights", config.search.output_weights,
                  [spec.name for spec in task.outputs])
    _unknown_keys("policy.weights", config.policy.weights, list(operators))
    _check_no_op(config, task, operators)
    complexity = [] if config.search.complexity_objective == "none" \
        else [config.search.complexity_objective]
    _check_complexity(config.search.complexity_objective, task)
    _unknown_keys("search.hv_reference", config.search.hv_reference,
                  [spec.name for spec in task.outputs] + complexity)
    _check_table(config, task)
    kinds = {spec.kind for spec in task.outputs}
    if config.evaluation.sample_quality and not {"classification", "generation"} <= kinds:
        raise ConfigError(f"evaluation.sample_quality needs a task with a generation and a "
                          f"classification output (the reference classifier); task "
                          f"{task.name!r} has {', '.join(sorted(kinds))}")


def _check_complexity(objective: str, task: Task) -> None:
    """A complexity objective the task's records hold: a table's list its own (task.meta);
    trained models have parameters, FLOPs and networks, not a table's latency."""
    valid = (*task.meta.get("complexity", ("parameters", "flops", "networks")), "none")
    if objective not in valid:
        raise ConfigError(f"search.complexity_objective = {objective!r} is not recorded by task "
                          f"{task.name!r}; valid: {', '.join(valid)}")


def _check_table(config: RunConfig, task: Task) -> None:
    """A benchmark table's task, its space and backend "table" go together (docs/tables.md)."""
    table = task.meta.get("table", "")
    space = get_space(config.space.name)
    if space.table != table:
        want = f"space.name = {table!r}" if table else "a space of networks, not a table's"
        raise ConfigError(f"space.name = {config.space.name!r} does not fit task "
                          f"{config.task.name!r}: use {want}")
    if bool(table) != (config.evaluation.backend == "table"):
        raise ConfigError(f"evaluation.backend = {config.evaluation.backend!r} does not fit task "
                          f"{config.task.name!r}: " + ("a table's task is answered by backend "
                                                       "'table'" if table else "backend 'table' "
                                                       "answers only the tasks of a table"))


def check_study(config: RunConfig) -> list[str]:
    """The study's operators (``study.operators``, or every mutation operator of the run),
    refused when one is not a mutation operator of the run."""
    mutation, _ = operator_lists(run_operators(config))
    for op in config.study.operators:
        if op not in mutation:
            raise ConfigError(f"study.operators: {op!r} is not a mutation (arity 1) operator "
                              f"of this run; valid: {', '.join(mutation)}")
    return list(config.study.operators or mutation)
