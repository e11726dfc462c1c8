"""Capacity allocation of a model (DOMAIN.md section B, docs/capacity.md): the measure.

The capacity study (training classical 1-D architectures, analysing a run's best models) that
uses this measure lives in :mod:`nas_ops.capacity`.
"""

from nas_ops.metrics.capacity.allocation import VARIANTS, CapacityAllocation, capacity_allocation

__all__ = ["VARIANTS", "CapacityAllocation", "capacity_allocation"]
