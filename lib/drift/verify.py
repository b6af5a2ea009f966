"""Verify (docs/design.md, Nothing lost): a batched, resumable, throttled scan of every migrated
table for drift, that is rows whose owner columns or error rows disagree with the rule; renames and
aliases are allowed for. lib/drift/sql/verify_batch.sql holds the definition.

One verify at a time, by a session lock of its own. Each batch commits the drifting rows it found
with the run's position, so that the next run resumes one whose process died, unless it is asked
for a fresh start. The batch size bounds each statement. Before each batch the run waits while an
operator has paused it or a throttle signal holds it (lib/backfill/throttle.py, as for the
backfill), and an operator's cancel stops it there.

A scan takes time, and a row it has passed may be written again behind it, the more so when a run
is resumed hours later. So every run ends with a last pass over each table that re-reads every
row written since the run began (its `changed_since` transaction), and judges those afresh: a
verdict of "passed" covers the data as it is when the run finishes, not as it was when each batch
read it.

`repair_drift` brings the drifting rows of the last run back to the rule
(migrations/objects/repair_owner_drift), for the writes that bypassed every trigger.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import Connection, Engine

from lib.backfill.settings import BatchSettings
from lib.backfill.throttle import RECHECK_SECONDS, Hold, ThrottleSettings, check_health_query, first_hold
from lib.db.schema import CLI
from lib.db.session_lock import JOB_LOCK_WAIT_MS, session_lock
from lib.errors import Busy, NothingToDo
from lib.registry import MIGRATED_TABLES
from lib.remainder.export import write_rows_csv
from lib.sql import query

VERIFY_LOCK = "owner-console verify"
# migration_ops.verify_runs.status. An ACTIVE run with no verify holding the lock died with its
# process; the next run resumes it.
VERIFY_STATUSES = ("running", "paused", "cancelling", "passed", "drift", "failed", "interrupted", "cancelled")
ACTIVE = ("running", "paused", "cancelling")
# Which statuses an operator may pause, resume or stop.
PAUSABLE = ("running",)
RESUMABLE = ("paused",)
CANCELLABLE = ("running", "paused")
# How a page shows each status: badge colour and icon.
BADGES = {
    "running": ("blue", ":material/sync:"),
    "paused": ("violet", ":material/pause_circle:"),
    "cancelling": ("orange", ":material/hourglass_top:"),
    "passed": ("green", ":material/check_circle:"),
    "drift": ("red", ":material/error:"),
    "failed": ("red", ":material/error:"),
    "interrupted": ("orange", ":material/power_off:"),
    "cancelled": ("gray", ":material/cancel:"),
}
DEFAULT_THROTTLE = ThrottleSettings()
# Below every id: the first batch of a table starts here.
BEFORE_FIRST_ID = -(2**63)
DRIFT_COLUMNS = (
    "table",
    "entity_id",
    "kind",
    "owner_username",
    "owner_user_id",
    "error_username",
    "error_reason",
    "found_at",
)


class VerifyAlreadyRunning(Busy):
    """Another process is verifying."""

    outcome = "refused"


@dataclass(frozen=True)
class VerifyProgress:
    scanned: int
    drifting: int
    total: int | None
    held: str | None = None  # what holds the next batch now: a throttle signal, or a pause


@dataclass(frozen=True)
class VerifyOutcome:
    run_id: int
    status: str  # passed, drift or cancelled
    drift_rows: int
    resumed: bool


class Cancelled(Exception):
    """An operator asked the run to stop: it stops before its next batch."""


def run_verify(
    engine: Engine,
    settings: BatchSettings,
    started_by: str,
    source: str,
    fresh: bool = False,
    on_progress: Callable[[VerifyProgress], None] = lambda progress: None,
    on_created: Callable[[], None] = lambda: None,
    throttle: ThrottleSettings = DEFAULT_THROTTLE,
) -> VerifyOutcome:
    """One verify run, resuming the last one when its process died, unless `fresh`; on_created()
    is called once its row is committed. The signals of `throttle` hold each batch."""
    with session_lock(engine, VERIFY_LOCK, JOB_LOCK_WAIT_MS) as held, engine.connect() as connection:
        if not held:
            raise VerifyAlreadyRunning("A verify is already running in another process; wait for its result.")
        check_health_query(connection, throttle)
        run_id, resumed = _start(connection, settings, started_by, source, fresh)
        connection.commit()
        on_created()
        go_ahead = _Steering(connection, run_id, throttle, on_progress)
        try:
            _scan(connection, run_id, settings, on_progress, go_ahead)
            _recheck_changed(connection, run_id, settings, on_progress, go_ahead)
        except Cancelled:
            connection.rollback()
            connection.execute(query("verify_cancelled"), {"id": run_id})
            connection.commit()
            drifting = connection.execute(query("verify_run"), {"id": run_id}).one().drift_rows
            connection.commit()
            return VerifyOutcome(run_id, "cancelled", drifting, resumed)
        except Exception as error:
            connection.rollback()
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            connection.execute(query("verify_failure"), {"id": run_id, "message": message})
            connection.commit()
            raise
        finished = connection.execute(query("verify_finish"), {"id": run_id}).one()
        connection.commit()
        return VerifyOutcome(run_id, finished.status, finished.drift_rows, resumed)


def _start(connection: Connection, settings: BatchSettings, started_by: str, source: str, fresh: bool):
    """The run to go on with: the last one, when its process died and `fresh` is false; else a new one."""
    # The caller holds the lock: a run that says it is in progress died with its process.
    connection.execute(query("verify_interrupted"), {"active": list(ACTIVE)})
    last = connection.execute(query("verify_last_run")).one_or_none()
    parameters = {
        "started_by": started_by,
        "source": source,
        "batch_size": settings.batch_size,
        "pause_ms": settings.pause_ms,
    }
    # A run from before changed_since was kept cannot tell what changed behind its scan.
    if last is not None and last.status == "interrupted" and last.changed_since is not None and not fresh:
        connection.execute(query("verify_resume"), {"id": last.id, **parameters})
        return last.id, True
    rows_total = connection.execute(query("backfill_rows_total"), {"tables": list(MIGRATED_TABLES)}).scalar()
    run_id = connection.execute(
        query("verify_create_run"), {**parameters, "rows_total": rows_total}
    ).scalar_one()
    return run_id, False


def settle_dead_verify(engine: Engine) -> None:
    """A verify whose process died shows as interrupted, when no verify holds the lock now. Only
    a run that says it is running makes it try the lock."""
    with engine.connect() as connection:
        last = connection.execute(query("verify_last_run")).one_or_none()
    if last is None or last.status not in ACTIVE:
        return
    with session_lock(engine, VERIFY_LOCK) as held:
        if held:
            with engine.begin() as connection:
                connection.execute(query("verify_interrupted"), {"active": list(ACTIVE)})


def _scan(connection: Connection, run_id: int, settings: BatchSettings, on_progress, go_ahead) -> None:
    run = connection.execute(query("verify_run"), {"id": run_id}).one()
    for table in (table for table in MIGRATED_TABLES if table not in run.tables_done):
        after_id = run.last_id if table == run.current_table and run.last_id is not None else BEFORE_FIRST_ID
        while True:
            go_ahead(table)
            _batch_timeouts(connection, settings)
            batch = verify_batch(connection, run_id, table, after_id, settings.batch_size)
            recorded = connection.execute(
                query("verify_progress"),
                {
                    "id": run_id,
                    "table": table,
                    "last_id": batch.last_id,
                    "scanned": batch.scanned,
                    "drifting": batch.drifting,
                },
            ).one()
            last = batch.scanned < settings.batch_size
            if last:
                # With the last batch: a resumed run never checks the table's tail twice.
                connection.execute(query("verify_table_done"), {"id": run_id, "table": table})
            connection.commit()
            on_progress(VerifyProgress(recorded.rows_scanned, recorded.drift_rows, recorded.rows_total))
            if last:
                break
            after_id = batch.last_id
            time.sleep(settings.pause_ms / 1000)


def _recheck_changed(
    connection: Connection, run_id: int, settings: BatchSettings, on_progress, go_ahead
) -> None:
    """The last pass: every row of each table written since the run began, judged afresh. Its
    drifting rows replace what earlier batches found of the same rows."""
    changed_since = connection.execute(query("verify_run"), {"id": run_id}).one().changed_since
    for table in MIGRATED_TABLES:
        after_id = BEFORE_FIRST_ID
        while True:
            go_ahead(table)
            _batch_timeouts(connection, settings)
            batch = verify_batch(connection, run_id, table, after_id, settings.batch_size, changed_since)
            recorded = connection.execute(
                query("verify_progress"),
                {"id": run_id, "table": table, "last_id": None, "scanned": 0, "drifting": batch.drifting},
            ).one()
            connection.commit()
            on_progress(VerifyProgress(recorded.rows_scanned, recorded.drift_rows, recorded.rows_total))
            if batch.scanned < settings.batch_size:
                break
            after_id = batch.last_id
            time.sleep(settings.pause_ms / 1000)


@dataclass
class _Steering:
    """Called before each batch of `table`: waits while an operator has paused the run or a
    throttle signal holds it, writing why each time it looks again; raises Cancelled when an
    operator has asked the run to stop."""

    connection: Connection
    run_id: int
    throttle: ThrottleSettings
    on_progress: Callable[[VerifyProgress], None]

    def __call__(self, table: str) -> None:
        held = False
        while True:
            asked = self.connection.execute(query("verify_status"), {"id": self.run_id}).one()
            self.connection.rollback()
            if asked.status == "cancelling":
                raise Cancelled
            if asked.status == "paused":
                hold = Hold("paused", f"paused by {asked.paused_by}")
            else:
                hold = first_hold(self.connection, self.throttle, table)
            if hold is None:
                break
            recorded = self.connection.execute(
                query("verify_hold"), {"id": self.run_id, "signal": hold.signal, "detail": hold.detail}
            ).one()
            self.connection.commit()
            held = True
            self.on_progress(
                VerifyProgress(
                    recorded.rows_scanned,
                    recorded.drift_rows,
                    recorded.rows_total,
                    f"{hold.signal}: {hold.detail}",
                )
            )
            time.sleep(RECHECK_SECONDS)
        if held:
            self.connection.execute(query("verify_release"), {"id": self.run_id})
            self.connection.commit()


def steer_verify(
    connection: Connection, statuses: tuple[str, ...], new: str, requested_by: str
) -> int | None:
    """Move the verify in progress to `new` (paused, running, cancelling) when its status is one
    of `statuses`; its id, or None when there is no such run. The caller commits."""
    return connection.execute(
        query("verify_steer"), {"from": list(statuses), "new": new, "requested_by": requested_by}
    ).scalar_one_or_none()


def _batch_timeouts(connection: Connection, settings: BatchSettings) -> None:
    connection.execute(
        query("backfill_timeouts"),
        {
            "lock_timeout": f"{settings.lock_timeout_ms}ms",
            "statement_timeout": f"{settings.statement_timeout_ms}ms",
        },
    )


def verify_batch(
    connection: Connection,
    run_id: int,
    table: str,
    after_id: int,
    batch_size: int,
    changed_since: str | None = None,
):
    """Check one batch of `table` after `after_id` and store its drifting rows, in the caller's
    transaction: (last_id, scanned, drifting). With `changed_since`, only the rows written since
    that transaction (the run's last pass)."""
    return connection.execute(
        query("verify_batch", table),
        {
            "run_id": run_id,
            "table": table,
            "after_id": after_id,
            "batch_size": batch_size,
            "changed_since": changed_since,
        },
    ).one()


@dataclass(frozen=True)
class Repair:
    run_id: int
    rows: int  # the drifting rows looked at
    repaired: int  # of them, those whose owner_user_id changed


def repair_drift(connection: Connection, settings: BatchSettings) -> Repair:
    """The drifting rows of the last finished verify run brought back to the rule, and the
    coverage counts counted afresh, in the caller's transaction under the settings' timeouts;
    the caller commits."""
    run = connection.execute(query("verify_last_run")).one_or_none()
    if run is not None and run.status == "passed":
        raise NothingToDo("The last verify run found no drift: there is nothing to repair.")
    if run is None or run.status != "drift":
        raise NothingToDo(f"No finished verify run has found drift to repair: run `{CLI} verify` first.")
    _batch_timeouts(connection, settings)
    rows = repaired = 0
    for table in MIGRATED_TABLES:
        found = connection.execute(query("verify_drift_ids"), {"run_id": run.id, "table": table})
        ids = found.scalars().all()
        if ids:
            rows += len(ids)
            repaired += connection.execute(query("repair_drift"), {"table": table, "ids": ids}).scalar_one()
        # The writes that bypassed every trigger bypassed the coverage counts too.
        connection.execute(query("recount_coverage"), {"table": table})
    return Repair(run.id, rows, repaired)


def last_verify(connection: Connection) -> dict | None:
    """The most recent run, its age in seconds, and its drifting rows per table and kind."""
    run = connection.execute(query("verify_last_run")).mappings().one_or_none()
    if run is None:
        return None
    by_kind = [
        dict(row)
        for row in connection.execute(query("verify_drift_by_kind"), {"run_id": run["id"]}).mappings()
    ]
    return {**run, "by_kind": by_kind}


def drift_rows(connection: Connection, run_id: int, limit: int | None = None) -> list[dict]:
    rows = connection.execute(query("verify_drift_rows"), {"run_id": run_id, "limit": limit})
    return [dict(row) for row in rows.mappings()]


def write_drift_csv(connection: Connection, run_id: int, out: TextIO) -> int:
    """Every drifting row of the run as CSV; how many."""
    rows = connection.execution_options(stream_results=True, max_row_buffer=5_000).execute(
        query("verify_drift_rows"), {"run_id": run_id, "limit": None}
    )
    return write_rows_csv(out, DRIFT_COLUMNS, rows)
