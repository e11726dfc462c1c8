"""The lines `nas-ops search` prints at the end: a long Pareto front is shortened."""

from pathlib import Path

from nas_ops.engine.summary import FRONT_SHOWN, SearchSummary


def summary(n_front: int) -> SearchSummary:
    return SearchSummary(Path("run"), 40, 38, 2, {"class": ("g003-001", 0.25)},
                         [f"g{k:03d}-000" for k in range(n_front)], 12.5)


def test_a_long_front_prints_its_size_and_first_members_only() -> None:
    line = next(x for x in summary(12).lines() if "Pareto front" in x)
    assert line == ("  Pareto front: 12 individuals: g000-000, g001-000, g002-000, g003-000, "
                    "g004-000 and 7 more (nas-ops report lists them)")
    assert FRONT_SHOWN == 5


def test_a_short_front_prints_every_member() -> None:
    lines = summary(2).lines()
    assert lines[0] == "run run: 40 evaluations (38 trained now, 2 failed) in 12.5 s"
    assert "  Pareto front: 2 individuals: g000-000, g001-000" in lines
    assert "  best class: 0.25 (g003-001)" in lines
