"""Derived seeds are stable: the same key gives the same stream in any process, and
``torch_seed`` is the first two 32-bit words of the key's SeedSequence as one 63-bit integer."""

from __future__ import annotations

import numpy as np

from nas_ops.rng import generator, seed_sequence, torch_seed


def test_torch_seed_is_the_sequences_first_two_words() -> None:
    for seed in (0, 1, 7, 2 ** 40):
        for uid in ("g000-000", "a00042", "b003", "v001-002"):
            words = seed_sequence(seed, "eval", uid).generate_state(2, dtype=np.uint32)
            expected = int(words.astype(np.uint64).dot(np.array([1, 1 << 32], dtype=np.uint64))
                           & np.uint64((1 << 63) - 1))
            assert torch_seed(seed, "eval", uid) == expected
    assert torch_seed(0, "eval", "g000-000") != torch_seed(1, "eval", "g000-000")


def test_a_key_gives_the_same_stream_and_another_key_another() -> None:
    a = generator(3, "breed", 1, 2, 0).integers(1 << 30, size=4)
    assert (a == generator(3, "breed", 1, 2, 0).integers(1 << 30, size=4)).all()
    assert (a != generator(3, "breed", 1, 2, 1).integers(1 << 30, size=4)).any()
