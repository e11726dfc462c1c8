import io

import pytest

from nas_ops.engine.progress import Progress


def test_progress_in_a_log_is_throttled_but_shows_the_last_line():
    out = io.StringIO()
    p = Progress(total=50, stream=out, log_every_s=3600)
    for _ in range(50):
        p.update(1, {"class": 0.5}, fresh=True, failed=False)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # the first, then the last
    assert lines[0].startswith("gen 1 | evals 1/50 | best class=0.5")
    assert "evals 50/50" in lines[-1] and "failures 0" in lines[-1]


def test_disabled_progress_writes_nothing():
    out = io.StringIO()
    p = Progress(total=3, enabled=False, stream=out)
    for _ in range(3):
        p.update(0, {}, fresh=True, failed=True)
    assert out.getvalue() == "" and p.failures == 3


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_eta_leaves_out_start_up_and_waits_for_a_few_evaluations():
    """30 s of start-up, then one evaluation every 2 s, 50 in all: the first ETA was 30 x 49 =
    1470 s against 98 s left; now nothing is shown until 3 evaluations, then 2 s per one."""
    out, clock = io.StringIO(), FakeClock()
    p = Progress(total=50, stream=out, log_every_s=0, clock=clock)
    clock.now = 30.0
    etas = []
    for _ in range(50):
        p.update(0, {}, fresh=True, failed=False)
        etas.append(p.eta(clock.now))
        clock.now += 2.0
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("ETA --") and lines[1].endswith("ETA --")
    assert etas[:2] == [None, None]
    for i, eta in enumerate(etas[2:], start=2):
        assert eta == pytest.approx(2.0 * (50 - i - 1))  # exact on a steady rate
    assert lines[-1].endswith("ETA 0s")


def test_eta_of_a_resumed_run_counts_only_evaluations_trained_now():
    out, clock = io.StringIO(), FakeClock()
    p = Progress(total=20, stream=out, log_every_s=0, clock=clock)
    for _ in range(10):  # taken from the ledger at once
        p.update(0, {}, fresh=False, failed=False)
    clock.now = 20.0  # start-up of the workers
    for _ in range(4):
        p.update(1, {}, fresh=True, failed=False)
        clock.now += 5.0
    assert p.eta(clock.now - 5.0) == pytest.approx(5.0 * 6)


def test_eta_of_fused_batches_starts_after_the_first_batch():
    """Batches of 8 models that end together every 10 s, after 30 s of start-up (32 in all):
    after the second batch, 16 are left, 20 s."""
    clock = FakeClock()
    p = Progress(total=32, stream=io.StringIO(), clock=clock)
    for end in (30.0, 40.0):
        clock.now = end
        for _ in range(8):
            p.update(0, {}, fresh=True, failed=False)
    assert p.eta(40.0) == pytest.approx(20.0)


def test_results_count_as_they_arrive_with_an_eta_before_the_batch_is_taken():
    """A batch of 10 (a study's children): each result counts when it arrives, every 2 s, and
    the ETA is shown from the third; the loop takes them all at the end without recounting."""
    out, clock = io.StringIO(), FakeClock()
    p = Progress(total=12, stream=out, log_every_s=0, clock=clock)
    p.submitted(2, 0)
    for _ in range(2):  # the base models, taken one by one
        p.update(0, {"class": 0.1}, fresh=True, failed=False)
    p.submitted(10, 1)  # no line: only the first submission has one
    for k in range(10):
        clock.now += 2.0
        p.arrived(f"v{k}", 1, failed=k == 4)
    lines = out.getvalue().splitlines()
    assert [int(line.split("evals ")[1].split("/")[0]) for line in lines] == list(range(12))
    assert "ETA 2s" in lines[-1] and "failures 1" in lines[-1]  # 11 of 12: one 2 s step left
    for k in range(10):
        p.update(1, {"class": 0.3}, fresh=True, failed=k == 4, uid=f"v{k}")
    assert p.done == 12 and p.failures == 1
    final = out.getvalue().splitlines()[len(lines):]
    assert final == ["gen 1 | evals 12/12 | best class=0.3 | failures 1 | ETA 0s"]


def test_the_first_line_comes_when_the_first_evaluations_are_submitted():
    out = io.StringIO()
    p = Progress(total=8, stream=out, log_every_s=3600)
    p.submitted(4, 0)
    p.submitted(4, 0)  # once only
    assert out.getvalue() == "gen 0 | evals 0/8 | 4 running | failures 0 | ETA --\n"


def test_a_lower_rung_result_counts_only_when_its_individual_is_taken():
    p = Progress(total=4, stream=io.StringIO())
    p.arrived("g001-000@r0", 1, failed=False)
    assert p.done == 0
    p.update(1, {}, fresh=True, failed=False, uid="g001-000")  # stopped at rung 0: taken
    p.arrived("g001-001", 1, failed=False)
    p.update(1, {}, fresh=True, failed=False, uid="g001-001")
    assert p.done == 2
