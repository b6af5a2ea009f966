"""A run's settings (batches, tuning, throttle) and status changes: pure rules, no database needed."""

import pytest

from lib.errors import SettingError
from lib.jobs.job import BACKFILL, JOBS
from lib.jobs.settings import BatchSettings, RunSettingsError
from lib.jobs.status import STOPPED, IllegalTransition, change_status, transitions
from lib.jobs.throttle import ThrottleSettings, throttle_settings
from lib.jobs.tuning import Tuning, next_batch_size


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
    with pytest.raises(RunSettingsError, match=message.replace(".", r"\.")):
        BatchSettings(**changes)


@pytest.mark.parametrize("job", JOBS.values(), ids=JOBS)
def test_every_status_change_has_a_reason_and_finished_runs_stay_finished(job):
    changes = transitions(job)
    assert all(reason for reason in changes.values())
    ended = (*job.verdicts, *STOPPED)
    # Only a verify whose process died is taken up again, in its own row.
    resumed = [("interrupted", "running")] if job.resumes_in_place else []
    assert [change for change in changes if change[0] in ended] == resumed


def test_an_illegal_status_change_is_refused_before_touching_the_database():
    with pytest.raises(IllegalTransition, match="a backfill run cannot go from succeeded to running"):
        change_status(None, BACKFILL, 1, "succeeded", "running")


@pytest.mark.parametrize(
    ("size", "scanned", "seconds", "expected"),
    [
        (10_000, 10_000, 0.3, 10_000),  # on target
        (10_000, 10_000, 0.33, 10_000),  # within the dead band
        (10_000, 10_000, 0.1, 15_000),  # fast: grows, by half at most
        (10_000, 10_000, 1.2, 5_000),  # slow: shrinks, by half at most
        (10_000, 10_000, 0.4, 7_500),  # a little slow: in proportion
        (40_000, 40_000, 0.1, 50_000),  # never above the bound
        (1_200, 1_200, 3.0, 1_000),  # nor below it
        (10_000, 3_000, 0.01, 10_000),  # a table's short last batch says nothing
    ],
)
def test_the_batch_size_moves_toward_the_target_time_within_bounds(size, scanned, seconds, expected):
    assert next_batch_size(size, scanned, seconds, Tuning(target_batch_ms=300)) == expected


def test_a_zero_target_keeps_the_batch_size_and_bad_bounds_are_refused():
    assert next_batch_size(10_000, 10_000, 5.0, Tuning(target_batch_ms=0)) == 10_000
    with pytest.raises(RunSettingsError, match="min ≤ max"):
        Tuning(min_batch_size=20_000, max_batch_size=10_000)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OWNER_CONSOLE_MAX_REPLICA_LAG": "soon"}, "OWNER_CONSOLE_MAX_REPLICA_LAG is 'soon'"),
        ({"OWNER_CONSOLE_MAX_LOCK_WAIT": "-1"}, "--max-lock-wait must be a number of seconds from 0"),
        ({"OWNER_CONSOLE_HOLD_FOR_VACUUM": "maybe"}, "use true or false"),
    ],
)
def test_bad_throttle_settings_are_named(environ, message, tmp_path):
    with pytest.raises(SettingError, match=message):
        throttle_settings(environ, tmp_path / "secrets.toml")


def test_throttle_settings_default_and_come_from_the_site(tmp_path):
    assert throttle_settings({}, tmp_path / "secrets.toml") == ThrottleSettings()
    site = {"OWNER_CONSOLE_MAX_REPLICA_LAG": "2.5", "OWNER_CONSOLE_HOLD_FOR_VACUUM": "false"}
    assert throttle_settings(site, tmp_path / "secrets.toml") == ThrottleSettings(
        max_replica_lag=2.5, hold_for_vacuum=False
    )
