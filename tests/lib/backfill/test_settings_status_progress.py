"""Batch settings, status changes and progress: pure rules, no database needed."""

import pytest

from lib.backfill.progress import Progress
from lib.backfill.settings import BatchSettings, BatchSettingsError
from lib.backfill.status import TRANSITIONS, IllegalTransition, change_status


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 0}, "batch size must be a whole number from 100 to 100,000; got 0."),
        ({"batch_size": 10_000_000}, "batch size must be a whole number from 100 to 100,000"),
        ({"pause_ms": -1}, "pause ms must be a whole number from 0 to 60,000; got -1."),
        ({"batch_size": "5000"}, "got '5000'"),
        ({"max_retries": True}, "max retries must be a whole number"),
    ],
)
def test_absurd_batch_settings_are_refused_with_their_bounds(changes, message):
    with pytest.raises(BatchSettingsError, match=message.replace(".", r"\.")):
        BatchSettings(**changes)


def test_every_status_change_has_a_reason_and_finished_runs_stay_finished():
    assert all(reason for reason in TRANSITIONS.values())
    assert not [old for old, _ in TRANSITIONS if old in ("succeeded", "failed", "cancelled", "interrupted")]


def test_an_illegal_status_change_is_refused_before_touching_the_database():
    with pytest.raises(IllegalTransition, match="cannot go from succeeded to running"):
        change_status(None, 1, "succeeded", "running")


def test_progress_copes_with_an_unknown_and_an_overshot_total():
    unknown = Progress(scanned=500, resolved=1, unresolved=2, total=None, elapsed_seconds=2.0)
    assert (unknown.fraction, unknown.eta_seconds, unknown.rows_per_second) == (None, None, 250.0)
    overshot = Progress(scanned=1_200, resolved=0, unresolved=0, total=1_000, elapsed_seconds=1.0)
    assert (overshot.fraction, overshot.eta_seconds) == (1.0, 0.0)
    halfway = Progress(scanned=500, resolved=0, unresolved=0, total=1_000, elapsed_seconds=5.0)
    assert (halfway.fraction, halfway.eta_seconds) == (0.5, 5.0)
    assert Progress(0, 0, 0, 1_000, 0.0).eta_seconds is None
