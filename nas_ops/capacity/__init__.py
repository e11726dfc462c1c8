"""Capacity allocation analysis of neural networks (DOMAIN.md section B, docs/capacity.md)."""

from .allocation import VARIANTS, CapacityAllocation, capacity_allocation

__all__ = ["VARIANTS", "CapacityAllocation", "capacity_allocation"]
