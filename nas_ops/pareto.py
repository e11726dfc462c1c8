"""Pareto sorting on DEAP, without torch: the fitness classes of a search's objectives, the
members DEAP's selection tools see, and the first non-dominated front.

The engine (NSGA-II selection, the search summary), the report and ``Run.pareto_front`` all sort
with these, so they agree on which models are non-dominated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from deap import base, tools


def fitness_class(weights: tuple[float, ...]) -> type[base.Fitness]:
    """A ``deap.base.Fitness`` subclass for these weights (local, no ``creator`` globals):
    +1.0 for an objective to maximize, -1.0 for one to minimize."""
    return type("RunFitness", (base.Fitness,), {"weights": weights})


class Member:
    """What DEAP's selection tools see: a uid with a fitness."""

    __slots__ = ("uid", "fitness")

    def __init__(self, uid: str, values: Sequence[float], fitness_cls: type[base.Fitness]):
        self.uid = uid
        self.fitness = fitness_cls(tuple(values))


def first_front(values: Mapping[str, Sequence[float]], weights: tuple[float, ...]) -> list[str]:
    """The uids (sorted) of the first non-dominated front of ``values`` (uid -> objective
    values), each objective maximized (weight +1.0) or minimized (-1.0)."""
    if not values:
        return []
    cls = fitness_class(weights)
    members = [Member(uid, v, cls) for uid, v in values.items()]
    return sorted(m.uid for m in tools.sortLogNondominated(members, len(members), True))
