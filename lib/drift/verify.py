"""Verify (docs/design.md, Nothing lost): a batched, resumable, throttled scan of every migrated
table for drift, that is rows whose owner columns or error rows disagree with the rule; renames and
aliases are allowed for. lib/drift/sql/verify_batch.sql holds the definition.

A task of lib/jobs/, the runner the backfill has too: one verify at a time, each batch committed
with the drifting rows it found and the run's position, held by the throttle signals and an
operator's pause, stopped by a cancel, retried on a timeout. A run whose process died is resumed
in its own row by the next one, unless that is asked for a fresh start. The batch size stays as
set: it bounds each statement.

A scan takes time, and a row it has passed may be written again behind it, the more so when a run
is resumed hours later. So every run ends with a last pass over each table that re-reads every
row written since the run began (its `changed_since` transaction), and judges those afresh: a
verdict of "passed" covers the data as it is when the run finishes, not as it was when each batch
read it.

`repair_drift` brings the drifting rows of the last run back to the rule
(migrations/objects/repair_owner_drift), for the writes that bypassed every trigger.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import Connection, Engine

from lib.db.schema import CLI
from lib.errors import NothingToDo
from lib.jobs.job import VERIFY
from lib.jobs.runner import Run, run_task
from lib.jobs.settings import BatchSettings, apply_timeouts
from lib.jobs.status import change_status
from lib.jobs.throttle import ThrottleSettings
from lib.registry import MIGRATED_TABLES
from lib.remainder.export import copy_csv, write_header
from lib.sql import query

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
DRIFT_TEXT_COLUMNS = ("table", "kind", "owner_username", "error_username", "error_reason")


@dataclass(frozen=True)
class VerifyProgress:
    scanned: int
    drifting: int
    total: int | None
    held: str | None = None  # what holds the next batch now: a throttle signal, or a pause


@dataclass(frozen=True)
class VerifyOutcome:
    run_id: int
    status: str  # passed, drift, cancelled or failed
    drift_rows: int
    resumed: bool
    error: str | None = None  # why it failed


@dataclass
class Verify:
    """A verify run as asked for: `fresh` starts over rather than resume a run whose process died,
    and the signals of `throttle` hold each batch."""

    settings: BatchSettings
    started_by: str
    source: str
    fresh: bool = False
    on_progress: Callable[[VerifyProgress], None] = lambda progress: None
    throttle: ThrottleSettings = DEFAULT_THROTTLE
    job = VERIFY
    resumed: bool = field(default=False, init=False)

    def already_running(self, connection: Connection) -> str:
        return "A verify is already running in another process; wait for its result."

    def start(self, connection: Connection) -> int:
        """The last run, when its process died and `fresh` is false; else a new one."""
        last = connection.execute(query("verify_last_run")).one_or_none()
        parameters = {
            "started_by": self.started_by,
            "source": self.source,
            "batch_size": self.settings.batch_size,
            "pause_ms": self.settings.pause_ms,
        }
        # A run from before changed_since was kept cannot tell what changed behind its scan.
        if (
            last is not None
            and last.status == "interrupted"
            and last.changed_since is not None
            and not self.fresh
        ):
            connection.execute(query("verify_resume"), {"id": last.id, **parameters})
            change_status(connection, VERIFY, last.id, "interrupted", "running")
            self.resumed = True
            return last.id
        rows_total = connection.execute(
            query("backfill_rows_total"), {"tables": list(MIGRATED_TABLES)}
        ).scalar()
        return connection.execute(
            query("verify_create_run"), {**parameters, "rows_total": rows_total}
        ).scalar_one()

    def work(self, run: Run) -> str:
        """The scan, then the last pass: every row of each table written since the run began,
        judged afresh. Its drifting rows replace what earlier batches found of the same rows."""
        connection = run.connection
        started = connection.execute(query("verify_run"), {"id": run.id}).one()

        def check(changed_since: str | None):
            def batch(table: str, after_id: int, size: int) -> tuple[int, int]:
                found = run.batch(
                    "verify_batch",
                    {
                        "run_id": run.id,
                        "table": table,
                        "after_id": after_id,
                        "batch_size": size,
                        "changed_since": changed_since,
                    },
                    f"the first verify batch of {table}"
                    if after_id == BEFORE_FIRST_ID
                    else f"a verify batch of {table} after id {after_id}",
                    table,
                )
                counts = found.row
                if changed_since:  # the last pass reads again what the scan has counted
                    run.record(found, read=counts.scanned, scanned=0)
                else:
                    run.record(
                        found, read=counts.scanned, scanned=counts.scanned, moved_to=(table, counts.last_id)
                    )
                recorded = connection.execute(
                    query("verify_progress"), {"id": run.id, "drifting": counts.drifting}
                ).one()
                if not changed_since and counts.scanned < size:
                    # With the last batch: a resumed run never checks the table's tail twice.
                    run.table_done(table)
                connection.commit()
                self.on_progress(
                    VerifyProgress(recorded.rows_scanned, recorded.drift_rows, recorded.rows_total)
                )
                return counts.last_id, counts.scanned

            return batch

        run.keyset(
            (
                (
                    table,
                    started.last_id
                    if table == started.current_table and started.last_id is not None
                    else BEFORE_FIRST_ID,
                )
                for table in MIGRATED_TABLES
                if table not in started.tables_done
            ),
            check(None),
        )
        run.keyset(((table, BEFORE_FIRST_ID) for table in MIGRATED_TABLES), check(started.changed_since))
        drifting = connection.execute(query("verify_run"), {"id": run.id}).one().drift_rows
        return "drift" if drifting else "passed"


def run_verify(engine: Engine, task: Verify, on_created: Callable[[], None] = lambda: None) -> VerifyOutcome:
    """One run of `task`, resuming the last one when its process died, unless it asks for a fresh
    start; on_created() is called once its row is committed."""

    def on_held(connection: Connection, run_id: int) -> None:
        run = connection.execute(query("verify_run"), {"id": run_id}).one()
        held = f"{run.held_by}: {run.held_detail}"
        task.on_progress(VerifyProgress(run.rows_scanned, run.drift_rows, run.rows_total, held))

    run_id, status = run_task(engine, task, task.settings, task.throttle, None, on_held, on_created)
    with engine.connect() as connection:
        run = connection.execute(query("verify_run"), {"id": run_id}).one()
    return VerifyOutcome(run_id, status, run.drift_rows, task.resumed, run.error_message)


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
    apply_timeouts(connection, settings)
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


def write_drift_csv(connection: Connection, run_id: int, out: BinaryIO) -> int:
    """Every drifting row of the run as CSV; how many."""
    write_header(out, DRIFT_COLUMNS)
    params = {"run_id": run_id, "limit": None}
    return copy_csv(connection, "verify_drift_rows", params, out, DRIFT_COLUMNS, DRIFT_TEXT_COLUMNS)
