"""The backfill, a task of lib/jobs/: first the rows written while the owner triggers were off are
reconciled (migration 0050), then keyset batches go over every migrated table, each batch
resolving owners by the rule. Its runs are in migration_ops.backfill_runs (lib/backfill/runs.py).
After a run succeeds, AFTER_RUN_STEPS follow. The only link to a screen is `on_progress`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from lib.backfill import runs
from lib.backfill.after_run import AFTER_RUN_STEPS
from lib.backfill.progress import Progress, progress_of
from lib.jobs.job import BACKFILL
from lib.jobs.runner import Run, run_task
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import ThrottleSettings
from lib.jobs.tuning import Tuning
from lib.registry import MIGRATED_TABLES


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str
    rows_reconciled: int


@dataclass(frozen=True)
class RunOptions:
    """How a run goes easy on production: what holds its batches, and how their size tunes."""

    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    tuning: Tuning = field(default_factory=Tuning)


DEFAULT_OPTIONS = RunOptions()


@dataclass
class Backfill:
    settings: BatchSettings
    started_by: str
    source: str
    throttle: ThrottleSettings
    on_progress: Callable[[Progress], None]
    on_start: Callable[[Connection, int], None]
    job = BACKFILL

    def already_running(self, connection: Connection) -> str:
        return runs.describe_active_run(connection)

    def start(self, connection: Connection) -> int:
        run_id = runs.create_run(connection, self.settings, self.started_by, self.source, self.throttle)
        self.on_start(connection, run_id)
        return run_id

    def work(self, run: Run) -> str:
        connection = run.connection

        def reconcile(table: str, after_id: None, size: int) -> tuple[None, int]:
            batch = run.batch(
                "backfill_reconcile",
                {"table": table, "batch_size": size},
                f"a reconciliation batch of {table}",
            )
            run.record(batch, read=batch.row.reconciled, scanned=0)
            runs.record_reconciled(connection, run.id, batch.row.reconciled)
            connection.commit()
            return None, batch.row.reconciled

        def resolve(table: str, after_id: int | None, size: int) -> tuple[int | None, int]:
            batch = run.batch(
                "backfill_batch",
                {"table": table, "after_id": after_id, "batch_size": size},
                f"a batch of {table} after id {after_id}" if after_id else f"the first batch of {table}",
            )
            counts = batch.row
            moved_to = (table, counts.last_id if counts.scanned else after_id)
            run.record(batch, read=counts.scanned, scanned=counts.scanned, moved_to=moved_to)
            recorded = runs.record_batch(connection, run.id, counts, run.size)
            connection.commit()
            if counts.scanned:
                self.on_progress(runs.progress_after(recorded))
            return counts.last_id, counts.scanned

        def table_done(table: str) -> None:
            run.table_done(table)
            connection.commit()

        started = runs.run_row(connection, run.id)
        run.keyset(((table, None) for table in MIGRATED_TABLES), reconcile)
        run.keyset(
            (
                (table, started.last_id if table == started.current_table else None)
                for table in MIGRATED_TABLES
                if table not in started.tables_done
            ),
            resolve,
            table_done,
        )
        runs.record_results(connection, run.id)
        return "succeeded"


def run_backfill(
    engine: Engine,
    settings: BatchSettings,
    started_by: str,
    source: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    on_start: Callable[[Connection, int], None] = lambda connection, run_id: None,
    options: RunOptions = DEFAULT_OPTIONS,
    on_created: Callable[[], None] = lambda: None,
) -> RunOutcome:
    """One run, holding the backfill lock. on_start(connection, run_id) writes in the transaction
    that creates the run, so that whatever it records exists exactly when the run does;
    on_created() is called once that transaction is committed, when every viewer can see it."""
    task = Backfill(settings, started_by, source, options.throttle, on_progress, on_start)

    def on_held(connection: Connection, run_id: int) -> None:
        on_progress(progress_of(runs.run_row(connection, run_id)._asdict()))

    run_id, status = run_task(engine, task, settings, options.throttle, options.tuning, on_held, on_created)
    with engine.connect() as connection:
        if status == "succeeded":
            for step in AFTER_RUN_STEPS:
                step(connection)
        return RunOutcome(run_id, status, runs.run_row(connection, run_id).rows_reconciled)
