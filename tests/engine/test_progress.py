import io

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
