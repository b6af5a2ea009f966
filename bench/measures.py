"""P1 to P9, each measured on its own copy of the benchmark template, side by side in one run."""

import csv
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import generate_latest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from bench.dataset import Dataset, copy_of_template
from lib import registry
from lib.backfill.task import DEFAULT_OPTIONS, RunOptions, run_backfill
from lib.coverage.counts import scanned_coverage, table_coverage
from lib.db.database import create_engine_for
from lib.db.embedded import EMBEDDED_BIN
from lib.db.settings import PROJECT_ROOT
from lib.drift.verify import Verify, run_verify
from lib.finish.readiness import readiness, readiness_settings
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import ThrottleSettings
from lib.jobs.tuning import Tuning
from lib.metrics.server import metrics_registry
from lib.registry import MIGRATED_TABLES


@dataclass(frozen=True)
class Figure:
    key: str
    measure: str
    figure: str
    target: str
    met: bool | None  # None for a figure that is reported, with no target


def median_seconds(run: Callable[[], object], times: int) -> float:
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# The owner triggers (the seed's), the coverage counts' triggers (0043, 0058) and the triggers that
# remember writes while the owner triggers are off (0050, 0058), by name.
OWNER_TRIGGERS = list(registry.OWNER_TRIGGERS)
COUNT_TRIGGERS = list(registry.COVERAGE_TRIGGERS)
MEMORY_TRIGGERS = list(registry.WRITE_MEMORY_TRIGGERS)
# The bypass check, and the delete and truncate triggers that take error rows along (0056, 0058).
GUARD_TRIGGERS = list(registry.GUARD_TRIGGERS)


def _table_of(trigger: str) -> str:
    return next(table for table in MIGRATED_TABLES if trigger.startswith(f"{table}_"))


def _set_triggers(connection: Connection, triggers: list[str], enabled: bool) -> None:
    for trigger in triggers:
        connection.exec_driver_sql(
            f"ALTER TABLE {_table_of(trigger)} {'ENABLE' if enabled else 'DISABLE'} TRIGGER {trigger}"
        )


# P1 and P2 -------------------------------------------------------------------------------------


def _set_autovacuum(connection: Connection, enabled: bool) -> None:
    """Autovacuum on the migrated tables. Off for P1 and P2, on both arms: a run holds while VACUUM
    works on the table it fills, and the rows the run itself rewrites would start one; P1 and P2
    measure the run with nothing to hold it."""
    for table in MIGRATED_TABLES:
        setting = "RESET (autovacuum_enabled)" if enabled else "SET (autovacuum_enabled = false)"
        connection.exec_driver_sql(f"ALTER TABLE {table} {setting}")


# The baseline: one statement per table, exact names only, the owner triggers off, no error logging.
PLAIN_UPDATE = """
    UPDATE {table} AS t SET owner_user_id = u.id
    FROM app_users AS u
    WHERE u.username = t.owner_username
"""
# A single-row write of the application, which needs the row lock a batch may hold.
APPLICATION_WRITE = "UPDATE crm_opportunities SET name = name WHERE id = :id"


class ConcurrentWriter(threading.Thread):
    """Writes one random opportunity at a time, in its own transaction, until stopped; keeps the
    longest wait."""

    def __init__(self, engine: Engine, max_id: int):
        super().__init__(name="application-writer", daemon=True)
        self.engine, self.max_id = engine, max_id
        self.stopping = threading.Event()
        self.latencies: list[float] = []

    def run(self) -> None:
        rng = random.Random(7)
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            while not self.stopping.is_set():
                started = time.perf_counter()
                connection.execute(text(APPLICATION_WRITE), {"id": rng.randint(1, self.max_id)})
                self.latencies.append(time.perf_counter() - started)
                self.stopping.wait(0.005)  # an application's pace, not a tight loop

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def backfill_figures(
    server: URL, dataset: Dataset, settings: BatchSettings
) -> tuple[list[Figure], Engine, float]:
    """P1 and P2: the console's backfill against one plain UPDATE, each on a copy of its own.
    Returns the engine of the backfilled copy, for the measures that follow, and the batched
    backfill's rate in rows/s."""
    plain = create_engine_for(copy_of_template(server, "bench_plain_update"))
    with plain.begin() as connection:
        _set_autovacuum(connection, enabled=False)
    started = time.perf_counter()
    with plain.begin() as connection:
        # The owner triggers off, as the playbook's rollback turns them off, and the memory of
        # writes with them, since this UPDATE stands for a backfill; the counts stay on.
        _set_triggers(connection, OWNER_TRIGGERS + MEMORY_TRIGGERS, enabled=False)
        for table in MIGRATED_TABLES:
            connection.execute(text(PLAIN_UPDATE.format(table=table)))
        _set_triggers(connection, OWNER_TRIGGERS + MEMORY_TRIGGERS, enabled=True)
    plain_seconds = time.perf_counter() - started
    plain.dispose()

    # Without throttling and at a fixed batch size, as the run went before them; then as the
    # product runs by default: every throttle signal watched, the batch size tuned.
    bare = _batched_run(server, "bench_backfill_bare", dataset, settings, UNTHROTTLED, keep=False)
    bare.engine.dispose()
    batched = _batched_run(server, "bench_backfill", dataset, settings, DEFAULT_OPTIONS)
    held = f"held {batched.held_seconds:.1f} s ({batched.held_by})" if batched.held_by else "never held"
    ratio, against_bare = plain_seconds / batched.seconds, bare.seconds / batched.seconds
    return (
        [
            Figure(
                "P1",
                f"backfill of {dataset.rows:,} rows: batched {dataset.rows / batched.seconds:,.0f} rows/s "
                f"(throttling on, {held}), plain UPDATE {dataset.rows / plain_seconds:,.0f} rows/s; "
                "autovacuum off on both",
                f"{ratio:.2f}x",
                ">= 0.9x",
                ratio >= 0.9,
            ),
            Figure(
                "P1",
                f"the same backfill, throttling on and batch size tuned, against throttling off at a fixed "
                f"{settings.batch_size:,} rows ({dataset.rows / bare.seconds:,.0f} rows/s; "
                f"batch p99 {percentile(bare.commits, 0.99) * 1000:.0f} ms)",
                f"{against_bare:.2f}x",
                ">= 0.95x (no worse, within noise)",
                against_bare >= 0.95,
            ),
            Figure(
                "P2",
                f"batch commit latency over {len(batched.commits)} batches, {settings.batch_size:,} rows "
                f"tuned to {batched.batch_size_now:,}; "
                f"longest wait of {len(batched.writer_latencies):,} concurrent single-row writes",
                f"p50 {percentile(batched.commits, 0.5) * 1000:.0f} ms, "
                f"p99 {percentile(batched.commits, 0.99) * 1000:.0f} ms; "
                f"writer {max(batched.writer_latencies) * 1000:.0f} ms",
                "p99 <= 500 ms",
                percentile(batched.commits, 0.99) <= 0.5,
            ),
        ],
        batched.engine,
        dataset.rows / batched.seconds,
    )


UNTHROTTLED = RunOptions(
    throttle=ThrottleSettings(
        max_replica_lag=0, max_transaction_age=0, max_lock_wait=0, hold_for_vacuum=False
    ),
    tuning=Tuning(target_batch_ms=0),
)


@dataclass
class BatchedRun:
    engine: Engine
    seconds: float
    commits: list[float]  # each batch's time from the previous report
    writer_latencies: list[float]
    held_seconds: float
    held_by: str | None
    batch_size_now: int


def _batched_run(
    server: URL, name: str, dataset: Dataset, settings: BatchSettings, options: RunOptions, keep: bool = True
) -> BatchedRun:
    """The console's backfill on a copy of its own, autovacuum off, with an application writing.
    A copy that is kept, for the measures that follow, gets autovacuum back; one that is not keeps
    it off, so that vacuuming its dead rows does not compete with the next arm."""
    engine = create_engine_for(copy_of_template(server, name))
    with engine.begin() as connection:
        _set_autovacuum(connection, enabled=False)
    commits: list[float] = []
    writer = ConcurrentWriter(engine, dataset.opportunities)
    writer.start()
    started = last = time.perf_counter()
    waited = False

    def on_progress(progress) -> None:
        # A report that the run waits, and the batch that ends a wait, are no batch commit.
        nonlocal last, waited
        now = time.perf_counter()
        if progress.held is None and not waited:
            commits.append(now - last - settings.pause_ms / 1000)
        waited, last = progress.held is not None, now

    outcome = run_backfill(engine, settings, "bench", "cli", on_progress, options=options)
    seconds = time.perf_counter() - started
    writer.stop()
    assert outcome.status == "succeeded", outcome
    with engine.connect() as connection:
        run = connection.execute(
            text("SELECT held_seconds, last_held_by, batch_size_now FROM migration_ops.backfill_runs")
        ).one()
        if keep:
            _set_autovacuum(connection, enabled=True)
            connection.commit()
    return BatchedRun(
        engine, seconds, commits, writer.latencies, run.held_seconds, run.last_held_by, run.batch_size_now
    )


# P7 --------------------------------------------------------------------------------------------


def verify_figure(engine: Engine, dataset: Dataset, settings: BatchSettings, backfill_rate: float) -> Figure:
    """P7: verify of every row, with the backfill's batch settings, against the backfill's rate."""
    started = time.perf_counter()
    outcome = run_verify(engine, Verify(settings, "bench", "cli"))
    rate = dataset.rows / (time.perf_counter() - started)
    assert outcome.status == "passed", outcome
    return Figure(
        "P7",
        f"verify of {dataset.rows:,} rows: {rate:,.0f} rows/s, against the batched backfill's "
        f"{backfill_rate:,.0f} rows/s (P1)",
        f"{rate / backfill_rate:.2f}x",
        ">= 0.8x",
        rate / backfill_rate >= 0.8,
    )


# P3 --------------------------------------------------------------------------------------------

# The layers of the write path, in the order P3 switches them on one at a time.
WRITE_PATH_LAYERS = {
    # The sync trigger writes the writers' record (0058): the two are switched together.
    "sync and writers": [name for name in OWNER_TRIGGERS if "_owner_sync_" in name],
    "log": [name for name in OWNER_TRIGGERS if "_owner_log_" in name],
    "counts": COUNT_TRIGGERS,
    "memory": MEMORY_TRIGGERS,
    "guards": GUARD_TRIGGERS,
}
EVERY_TRIGGER = [name for names in WRITE_PATH_LAYERS.values() for name in names]
ROUNDS = 5


@dataclass(frozen=True)
class ClientWrite:
    """One kind of client write, as a pgbench script (-D accounts, users, bulk), with the rows a
    transaction writes and the ratio it must stay within with synchronous_commit off."""

    label: str
    script: str
    rows: int | None  # the rows a transaction writes; None for the bulk statement's
    target: float


# A user's username or id, by a random probe of app_users' primary key.
_PICK_USER = "(SELECT {column} FROM app_users WHERE id >= :user_id ORDER BY id LIMIT 1)"
CLIENT_WRITES = {
    "a": ClientWrite(
        "the legacy client's transaction: an UPDATE of owner_username and an INSERT, by username",
        f"""\\set id random(1, :accounts)
\\set user_id random(1, :users)
BEGIN;
UPDATE crm_accounts SET owner_username = {_PICK_USER.format(column="username")} WHERE id = :id;
INSERT INTO crm_accounts (name, owner_username) VALUES ('bench', {_PICK_USER.format(column="username")});
END;
""",
        2,
        1.15,
    ),
    "b": ClientWrite(
        "a new client's UPDATE of owner_user_id",
        f"""\\set id random(1, :accounts)
\\set user_id random(1, :users)
UPDATE crm_accounts SET owner_user_id = {_PICK_USER.format(column="id")} WHERE id = :id;
""",
        1,
        1.15,
    ),
    "c": ClientWrite(
        "an UPDATE of name, touching no owner column",
        """\\set id random(1, :accounts)
UPDATE crm_accounts SET name = 'bench ' || :id WHERE id = :id;
""",
        1,
        1.03,
    ),
    "d": ClientWrite(
        "one statement re-assigning {bulk:,} rows by username",
        f"""\\set start random(1, :accounts - :bulk)
\\set user_id random(1, :users)
UPDATE crm_accounts SET owner_username = {_PICK_USER.format(column="username")}
  WHERE id BETWEEN :start AND :start + :bulk - 1;
""",
        None,
        1.5,
    ),
}
BULK_ROWS = 10_000
# Debian's pgbench when the machine has it, else the one beside the embedded server.
PGBENCH = next(
    path for path in (Path("/usr/lib/postgresql/15/bin/pgbench"), EMBEDDED_BIN / "pgbench") if path.exists()
)


def enabling_only(triggers: list[str]) -> list[str]:
    """The statements that turn `triggers` on and every other trigger of the write path off; the
    bypass guard is enabled ALWAYS, as its revision leaves it."""

    def how(trigger: str) -> str:
        if trigger not in triggers:
            return "DISABLE"
        return "ENABLE ALWAYS" if trigger in GUARD_TRIGGERS else "ENABLE"

    return [f"ALTER TABLE {_table_of(name)} {how(name)} TRIGGER {name}" for name in EVERY_TRIGGER]


def _enable_only(connection: Connection, triggers: list[str]) -> None:
    for statement in enabling_only(triggers):
        connection.exec_driver_sql(statement)


def _alternating(connection: Connection, arms: dict[str, list[str]]):
    """Each arm in turn, ROUNDS times, with its triggers on and the others off, so that every arm
    sees the same server state: forward, then backward, so that a drift over the run (the table's
    dead rows, say) weighs on every arm alike. Every trigger is as its revisions left it after."""
    for round_ in range(ROUNDS):
        for arm, triggers in list(arms.items())[:: 1 if round_ % 2 == 0 else -1]:
            _enable_only(connection, triggers)
            yield arm
    _enable_only(connection, EVERY_TRIGGER)


def _pgbench_seconds(
    engine: Engine, script: Path, transactions: int, defines: dict, synchronous: bool
) -> float:
    """One pgbench run of `script`, one connection: its average latency per transaction."""
    url = engine.url
    command = [str(PGBENCH), "-n", "-c", "1", "-t", str(transactions), "-f", str(script),
               *(f"-D{name}={value}" for name, value in defines.items()),
               "-h", url.query["host"], "-U", url.username, url.database]  # fmt: skip
    environment = {**os.environ, "PGOPTIONS": f"-c synchronous_commit={'on' if synchronous else 'off'}"}
    report = subprocess.run(command, capture_output=True, text=True, check=True, env=environment).stdout
    average = next(line for line in report.splitlines() if line.startswith("latency average"))
    return float(average.split("=")[1].split()[0]) / 1000


def write_path_figures(engine: Engine, dataset: Dataset, transactions: int) -> list[Figure]:
    """P3 with pgbench as the client: each client write, every migration trigger against none,
    with synchronous_commit off (the write path's own cost) and on; then each layer's own cost
    per row written, switched on one at a time. Its arms without the counts leave them behind the
    table: measure this last."""
    bulk = min(BULK_ROWS, dataset.accounts // 2)
    defines = {"accounts": dataset.accounts, "users": dataset.users, "bulk": bulk}
    figures = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for key, write in CLIENT_WRITES.items():
            script = PROJECT_ROOT / ".data" / f"bench-client-write-{key}.sql"
            script.write_text(write.script)
            runs = max(1, (transactions if write.rows is not None else transactions // 100) // ROUNDS)
            for synchronous in (False, True):
                seconds = {"none": [], "every trigger": []}
                arms = {"none": [], "every trigger": EVERY_TRIGGER}
                for arm in _alternating(connection, arms):
                    seconds[arm].append(_pgbench_seconds(engine, script, runs, defines, synchronous))
                on, off = statistics.median(seconds["every trigger"]), statistics.median(seconds["none"])
                label = write.label.format(bulk=bulk)
                measure = (
                    f"({key}) {label}, synchronous_commit {'on' if synchronous else 'off'}: every "
                    f"trigger against none ({runs * ROUNDS:,} transactions each, pgbench)"
                )
                ratio = f"{on * 1000:.3f} ms / {off * 1000:.3f} ms = {on / off:.2f}x"
                if synchronous:
                    figures.append(Figure("P3", measure, ratio, "reported", None))
                else:
                    figures.append(
                        Figure("P3", measure, ratio, f"<= {write.target}x", on / off <= write.target)
                    )
            script.unlink()
        figures.append(_layer_costs(engine, connection, transactions, defines))
    return figures


def _layer_costs(engine: Engine, connection: Connection, transactions: int, defines: dict) -> Figure:
    """Each layer's own cost per row of (a) with synchronous_commit off: the arms switch the layers
    on one at a time, and each layer costs what its arm adds to the one before."""
    write = CLIENT_WRITES["a"]
    script = PROJECT_ROOT / ".data" / "bench-client-write-layers.sql"
    script.write_text(write.script)
    arms, on = {"none": []}, []
    for layer, triggers in WRITE_PATH_LAYERS.items():
        on = on + triggers
        arms[layer] = on
    seconds = {arm: [] for arm in arms}
    for arm in _alternating(connection, arms):
        seconds[arm].append(_pgbench_seconds(engine, script, max(1, transactions // ROUNDS), defines, False))
    script.unlink()
    medians = [statistics.median(seconds[arm]) for arm in arms]
    costs = [
        f"{layer} {(after - before) / write.rows * 1e6:+.0f} µs"
        for layer, before, after in zip(list(arms)[1:], medians[:-1], medians[1:], strict=True)
    ]
    return Figure(
        "P3",
        "each layer's own cost per row written, (a) with synchronous_commit off, layers switched on "
        "one at a time in this order",
        " · ".join(costs),
        "reported",
        None,
    )


# P4 --------------------------------------------------------------------------------------------


def coverage_figure(engine: Engine, times: int) -> Figure:
    """P4: the console's coverage refresh against the playbook's step-3 query, same numbers."""
    with engine.connect() as connection:
        assert table_coverage(connection) == scanned_coverage(connection)
        console_seconds = median_seconds(lambda: table_coverage(connection), times)
        playbook_seconds = median_seconds(lambda: scanned_coverage(connection), times)
    ratio = console_seconds / playbook_seconds
    return Figure(
        "P4",
        "coverage refresh of both tables: the console's against the playbook's step 3, figures equal",
        f"{console_seconds * 1000:.2f} ms / {playbook_seconds * 1000:.1f} ms = {ratio:.3f}x",
        "<= 0.1x",
        ratio <= 0.1,
    )


# P5 --------------------------------------------------------------------------------------------

PAGES = tuple(page.name for page in registry.PAGES)


def first_render_figures(url: URL) -> list[Figure]:
    """P5: each page's first render through AppTest, in a process of its own per page, so that no
    page finds another's cached figures."""
    figures = []
    for page in PAGES:
        answer = subprocess.run(
            [sys.executable, "-m", "bench.first_render", page],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)},
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = float(answer.stdout.split()[-1])
        figures.append(
            Figure("P5", f"first render of {page} (AppTest)", f"{seconds:.2f} s", "<= 1 s", seconds <= 1)
        )
    return figures


# P8 --------------------------------------------------------------------------------------------


def metrics_scrape_figure(engine: Engine, times: int) -> Figure:
    """P8: one scrape of `lib.cli metrics`, as Prometheus would make it, on the backfilled copy."""
    registry = metrics_registry(engine, ThrottleSettings(), readiness_settings({}))
    body = generate_latest(registry).decode()
    assert "owner_migration_up 1.0" in body, body[-500:]
    seconds = median_seconds(lambda: generate_latest(registry), times)
    return Figure(
        "P8",
        f"a metrics scrape ({body.count(chr(10) + 'owner_migration_')} series), median of {times}",
        f"{seconds * 1000:.1f} ms",
        "<= 50 ms",
        seconds <= 0.05,
    )


# P9 --------------------------------------------------------------------------------------------


def readiness_figure(engine: Engine, times: int) -> Figure:
    """P9: the readiness gates, as `lib.cli readiness` and the Finish page evaluate them."""
    settings = readiness_settings({})
    with engine.connect() as connection:
        gates = readiness(connection, settings)
        seconds = median_seconds(lambda: readiness(connection, settings), times)
    return Figure(
        "P9",
        f"the readiness check ({len(gates)} gates), median of {times}",
        f"{seconds * 1000:.1f} ms",
        "<= 200 ms",
        seconds <= 0.2,
    )


# P6 --------------------------------------------------------------------------------------------


def export_figure(engine: Engine, rows: int) -> Figure:
    """P6: `lib.cli export-unresolved` of `rows` unresolved rows to a file: wall time and the
    process's peak RSS, both taken by bench.peak_rss."""
    with engine.begin() as connection:
        missing = rows - connection.execute(text("SELECT count(*) FROM owner_backfill_errors")).scalar_one()
        # Owners nobody has, written through the legacy path: the log trigger records each one.
        connection.execute(
            text("""
                INSERT INTO crm_opportunities (account_id, name, amount, stage, owner_username)
                SELECT 1, 'bench export', 1, 'prospecting', 'nobody-' || n
                FROM generate_series(1, :missing) AS n
            """),
            {"missing": max(0, missing)},
        )
    out = PROJECT_ROOT / ".data" / "bench-export.csv"
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    with out.open("w") as target:
        launched = subprocess.run(
            [sys.executable, "-m", "bench.peak_rss", sys.executable, "-m", "lib.cli", "export-unresolved"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=target,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert launched.returncode == 0, f"export-unresolved exited with {launched.returncode}"
    seconds, peak_kb = (float(figure) for figure in launched.stderr.split())
    peak_mb = peak_kb / 1024
    with out.open(newline="") as exported:
        written = sum(1 for _ in csv.reader(exported)) - 1
    out.unlink()
    assert written >= rows, (written, rows)
    return Figure(
        "P6",
        f"CSV export of {written:,} unresolved rows (the CLI, streamed to a file)",
        f"{seconds:.2f} s, peak RSS {peak_mb:.0f} MB",
        "<= 2 s, <= 200 MB",
        seconds <= 2 and peak_mb <= 200,
    )
