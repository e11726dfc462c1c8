"""Reproducible randomness: one SeedSequence per run, spawned per purpose.

No module of nas-ops touches global random state. A run owns one root ``SeedSequence``; every
consumer derives its own stream from a stable key such as ``("variation", generation, slot)``, so
results do not depend on the order in which work is scheduled or on the number of workers.
"""

from __future__ import annotations

import hashlib

import numpy as np

Key = tuple[object, ...]


def _entropy(seed: int, key: Key) -> np.ndarray:
    """The run seed's low 32 bits, then 4 little-endian words of a digest of ``key``, as the
    uint32 array SeedSequence takes without converting each number (the same entropy as the
    list of those 5 integers)."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
    return np.frombuffer((int(seed) & 0xFFFFFFFF).to_bytes(4, "little") + digest, dtype="<u4")


def seed_sequence(seed: int, *key: object) -> np.random.SeedSequence:
    """The SeedSequence of ``key`` under the run seed ``seed`` (stable across processes)."""
    return np.random.SeedSequence(entropy=_entropy(seed, tuple(key)))


def generator(seed: int, *key: object) -> np.random.Generator:
    """A numpy Generator for ``key`` under ``seed``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *key)))


def torch_seed(seed: int, *key: object) -> int:
    """A 63-bit integer seed for ``torch.Generator.manual_seed`` derived from ``key``."""
    low, high = seed_sequence(seed, *key).generate_state(2, dtype=np.uint32).tolist()
    return (low | high << 32) & ((1 << 63) - 1)
