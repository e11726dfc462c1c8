"""Variation operators: everything an operator author imports comes from here.

- :class:`Operator` (subclass it, set the metadata, implement ``_apply``) or a plain function,
  registered with :func:`register_operator`; :class:`Offspring` returns a child with inheritance
  hints (:class:`NetInheritance`); :class:`NotApplicable` says the operator can do nothing here.
- :class:`VariationContext`: the variation's randomness, every decision recorded for replay.
- :func:`apply_operator` / :func:`replay_event`: run a registered operator by name, or again from
  a recorded :class:`VariationEvent`; :func:`list_operators` / :func:`get_operator`.

Modules: ``base`` (the template method), ``context``, ``events`` (typed records), ``registry``,
``apply``, ``diff`` (what changed), ``inheritance`` (the plain-data inheritance map). Nothing
here imports torch: building a child's weights from its map is
:func:`nas_ops.phenotype.inherit.child_model`.
"""

from nas_ops.variation.apply import apply_operator, replay_event, trainable_networks
from nas_ops.variation.base import Offspring, Operator
from nas_ops.variation.context import NotApplicable, ReplayError, VariationContext
from nas_ops.variation.diff import downstream, protected_nodes, upstream
from nas_ops.variation.events import (
    DIRECTIONS,
    FAMILIES,
    RETRAIN_CONTROL,
    UNKNOWN,
    ChildRecord,
    VariationEvent,
    VariationResult,
)
from nas_ops.variation.inheritance import (
    InheritanceMap,
    NetInheritance,
    fresh,
    inheritance_map,
    input_unit,
    next_unit,
)
from nas_ops.variation.registry import (
    OPERATORS,
    get_operator,
    list_operators,
    register_operator,
)

__all__ = [
    "DIRECTIONS", "FAMILIES", "OPERATORS", "RETRAIN_CONTROL", "UNKNOWN", "ChildRecord",
    "InheritanceMap",
    "NetInheritance", "NotApplicable", "Offspring", "Operator", "ReplayError", "VariationContext",
    "VariationEvent", "VariationResult", "apply_operator", "downstream", "fresh", "get_operator",
    "inheritance_map", "input_unit", "list_operators", "next_unit", "protected_nodes",
    "register_operator", "replay_event", "trainable_networks", "upstream",
]
