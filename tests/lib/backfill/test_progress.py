"""A run's progress: a pure value, no database needed."""

from lib.backfill.progress import Progress


def test_progress_copes_with_an_unknown_and_an_overshot_total():
    unknown = Progress(scanned=500, resolved=1, unresolved=2, total=None, elapsed_seconds=2.0)
    assert (unknown.fraction, unknown.eta_seconds, unknown.rows_per_second) == (None, None, 250.0)
    overshot = Progress(scanned=1_200, resolved=0, unresolved=0, total=1_000, elapsed_seconds=1.0)
    assert (overshot.fraction, overshot.eta_seconds) == (1.0, 0.0)
    halfway = Progress(scanned=500, resolved=0, unresolved=0, total=1_000, elapsed_seconds=5.0)
    assert (halfway.fraction, halfway.eta_seconds) == (0.5, 5.0)
    assert Progress(0, 0, 0, 1_000, 0.0).eta_seconds is None


def test_the_rate_and_eta_count_working_time_only():
    held = Progress(1_000, 990, 10, total=3_000, elapsed_seconds=30, held_seconds=20)
    assert held.rows_per_second == 100  # 1,000 rows in 10 s of work, not 30 s
    assert held.eta_seconds == 20  # 2,000 rows left at 100 rows/s; a hold under way comes on top
