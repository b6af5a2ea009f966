"""The console's numbers as Prometheus metrics (docs/design.md, Throttling), read from the database
at each scrape in one read-only transaction, from what the database keeps rather than scans of the
CRM tables: the kept step-3 counts, the error rows by reason, the trigger states, the latest
backfill and verify runs, the throttle signals and the readiness gates.

Every labelled series is present on every scrape (a reason with no rows is 0, not absent), so
that alert rules and dashboards never see a series vanish and come back.
"""

import sys
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine

from lib.backfill.progress import progress_of
from lib.backfill.runs import backfill_runs
from lib.coverage.counts import TARGET_PCT, table_coverage
from lib.drift.verify import last_verify
from lib.finish.readiness import ReadinessSettings, readiness
from lib.guard.triggers import trigger_states
from lib.jobs.job import BACKFILL, VERIFY
from lib.jobs.status import ACTIVE, statuses
from lib.jobs.throttle import LIMITS, ThrottleSettings
from lib.registry import DRIFT_KINDS, MIGRATED_TABLES, REASONS, THROTTLE_SIGNALS
from lib.remainder.unresolved import remainder_by_reason
from lib.sql import query

PREFIX = "owner_migration"
HOLDS = (*THROTTLE_SIGNALS, "paused")


class ConsoleCollector(Collector):
    def __init__(self, engine: Engine, throttle: ThrottleSettings, gates: ReadinessSettings) -> None:
        self.engine, self.throttle, self.gates = engine, throttle, gates

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        try:
            # A run whose process died is settled as interrupted by the metrics server's background
            # jobs (lib/background), not by each scrape: a scrape takes no job lock.
            with self.engine.connect() as connection:
                connection.execute(query("metrics_read_only"))
                families = [family for read in READS for family in read(connection, self)]
                connection.rollback()
            up = 1
        except Exception as error:  # a scrape reports the database down; it does not fail
            print(f"metrics: the database could not be read: {str(error).splitlines()[0]}", file=sys.stderr)
            families, up = [], 0
        yield from families
        yield _gauge("up", "1 when the last scrape read the database, else 0", up)
        yield _gauge("scrape_duration_seconds", "how long this scrape took", time.perf_counter() - started)


def _gauge(
    name: str, documentation: str, value: float | None = None, labels: tuple[str, ...] = ()
) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value, labels=labels or None)


def _coverage(connection: Connection, collector: ConsoleCollector) -> Iterator[Metric]:
    rows = table_coverage(connection)
    for column, documentation in (
        ("total_legacy", "playbook step 3: rows with a non-blank owner_username"),
        ("resolved_fk", "playbook step 3: of those, rows with owner_user_id set"),
        ("resolved_pct", "playbook step 3: resolved_fk as a percentage of total_legacy, 2 decimals"),
    ):
        family = _gauge(column.replace("_pct", "_percent"), documentation, labels=("table",))
        for row in rows:
            family.add_metric([row.table], float(getattr(row, column)))
        yield family
    yield _gauge("target_percent", "the coverage target of every migrated table", float(TARGET_PCT))


def _unresolved(connection: Connection, collector: ConsoleCollector) -> Iterator[Metric]:
    counts = {(table, reason): count for table, reason, count in remainder_by_reason(connection)}
    family = _gauge(
        "unresolved_rows", "playbook step 4: owner_backfill_errors rows", labels=("table", "reason")
    )
    for table in MIGRATED_TABLES:
        for reason in REASONS:
            family.add_metric([table, reason], counts.get((table, reason), 0))
    yield family


def _triggers(connection: Connection, collector: ConsoleCollector) -> Iterator[Metric]:
    family = _gauge(
        "trigger_enabled",
        "1 when the owner trigger fires for the application's sessions",
        labels=("table", "kind", "trigger"),
    )
    for state in trigger_states(connection):
        family.add_metric([state.table, state.kind, state.name], int(state.enabled))
    yield family


def _backfill(connection: Connection, collector: ConsoleCollector) -> Iterator[Metric]:
    runs = backfill_runs(connection, limit=1)
    run = runs[0] if runs else None
    status = _gauge("backfill_status", "1 for the status of the latest backfill run", labels=("status",))
    for name in statuses(BACKFILL):
        status.add_metric([name], int(run is not None and run["status"] == name))
    yield status
    held = _gauge(
        "backfill_held", "1 for what holds the latest run before its next batch now", labels=("signal",)
    )
    for signal in HOLDS:
        # A run whose process died keeps its last hold on its row: it holds nothing now.
        holding = run is not None and run["status"] in ACTIVE and run["held_by"] == signal
        held.add_metric([signal], int(holding))
    yield held
    if run is None:
        return
    progress = progress_of(run)
    yield _gauge("backfill_run_id", "the latest backfill run", run["id"])
    yield _gauge("backfill_rows_scanned", "rows the latest run has scanned", progress.scanned)
    yield _gauge("backfill_rows_resolved", "rows the latest run has resolved", progress.resolved)
    yield _gauge("backfill_rows_total", "the latest run's estimate of the rows to scan", progress.total or 0)
    yield _gauge("backfill_progress_ratio", "scanned over total, 0 to 1", progress.fraction or 0)
    yield _gauge("backfill_rows_per_second", "the latest run's rate while working", progress.rows_per_second)
    yield _gauge(
        "backfill_held_seconds",
        "how long the latest run has waited, paused or throttled",
        progress.held_seconds,
    )
    yield _gauge(
        "backfill_batch_size", "the latest run's batch size now", run["batch_size_now"] or run["batch_size"]
    )
    yield _gauge(
        "backfill_heartbeat_timestamp_seconds",
        "when the latest run last wrote its progress or that it waits",
        (run["heartbeat_at"] or run["created_at"]).timestamp(),
    )


def _throttle(connection: Connection, collector: ConsoleCollector) -> Iterator[Metric]:
    measured = _gauge(
        "throttle_value_seconds",
        "each numeric throttle signal now: the most lagging standby, the oldest transaction, "
        "the longest lock wait",
        labels=("signal",),
    )
    limit = _gauge("throttle_limit_seconds", "the site's limit of each signal; 0 is off", labels=("signal",))
    lag = [row.value for row in connection.execute(query("throttle_replica_lag"))]
    oldest = connection.execute(query("throttle_transaction_age")).one_or_none()
    waiting = connection.execute(query("throttle_lock_wait"), {"tables": list(MIGRATED_TABLES)}).one_or_none()
    values = {
        "replica_lag": max((value for value in lag if value is not None), default=0.0),
        "transaction_age": oldest.value if oldest else 0.0,
        "lock_wait": waiting.value if waiting else 0.0,
    }
    for signal in LIMITS:
        measured.add_metric([signal], values[signal])
        limit.add_metric([signal], getattr(collector.throttle, f"max_{signal}"))
    yield measured
    yield limit
    yield _gauge("standbys", "standbys streaming from this server", len(lag))


def _drift(connection: Connection, collector: ConsoleCollector) -> Iterator[Metric]:
    run = last_verify(connection)
    status = _gauge("verify_status", "1 for the status of the latest verify run", labels=("status",))
    for name in statuses(VERIFY):
        status.add_metric([name], int(run is not None and run["status"] == name))
    yield status
    found = {(row["table"], row["kind"]): row["rows"] for row in (run["by_kind"] if run else [])}
    drift = _gauge("drift_rows", "drifting rows the latest verify found", labels=("table", "kind"))
    for table in MIGRATED_TABLES:
        for kind in DRIFT_KINDS:
            drift.add_metric([table, kind], found.get((table, kind), 0))
    yield drift
    if run is not None and run["finished_at"]:
        yield _gauge(
            "verify_finished_timestamp_seconds",
            "when the latest verify ended",
            run["finished_at"].timestamp(),
        )


def _readiness(connection: Connection, collector: ConsoleCollector) -> Iterator[Metric]:
    gates = readiness(connection, collector.gates)
    family = _gauge(
        "readiness_gate", "1 when the gate before the contract migration holds", labels=("gate", "name")
    )
    for gate in gates:
        family.add_metric([gate.id, gate.name], int(gate.holds))
    yield family
    yield _gauge("ready", "1 when every readiness gate holds", int(all(gate.holds for gate in gates)))


READS: tuple[Callable[[Connection, ConsoleCollector], Iterator[Metric]], ...] = (
    _coverage,
    _unresolved,
    _triggers,
    _backfill,
    _throttle,
    _drift,
    _readiness,
)
