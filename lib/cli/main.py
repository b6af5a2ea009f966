"""The console's operations from a shell: `python -m lib.cli COMMAND`.

Exit status: 0 done; 1 not done (refused, busy, bad input, nothing to do); 2 the configuration or
the database needs a person (argparse's usage errors too). The reason is one sentence on stderr.
`verify` and `readiness` answer a question instead: 0 yes (no drift; every gate holds), 1 no,
2 it could not be answered.
"""

import argparse
import inspect
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from lib.backfill.progress import Progress
from lib.backfill.task import RunOptions
from lib.cli.aliases import add_alias_commands
from lib.cli.fleet import add_fleet_commands
from lib.cli.output import open_stdout
from lib.coverage.counts import TARGET_PCT, table_coverage
from lib.coverage.forecast import forecast
from lib.coverage.preflight import legacy_volume, username_matches
from lib.db.database import connection_failure, create_engine_for, is_connection_problem
from lib.db.embedded import PSQL, open_embedded_database
from lib.db.schema import APPLY_CONTRACT, current_revision
from lib.db.settings import EMBEDDED_DATABASE, configured_database_url, describe_url
from lib.demo.generator import DEFAULT_ACCOUNTS, DEFAULT_OPPORTUNITIES, load_demo
from lib.demo.startup import open_console_database
from lib.drift.verify import VerifyOutcome, VerifyProgress, last_verify
from lib.errors import ActionError, BadInput, Refused, SetupError
from lib.finish.next_step import next_steps
from lib.finish.readiness import all_hold, outlook, readiness, readiness_settings
from lib.finish.writers import owner_writers
from lib.fleet.members import configured_fleet
from lib.guard.actions import (
    change_triggers,
    psql_session,
    repair_drift,
    start_backfill,
    steer_job,
    verify,
)
from lib.guard.identity import local_identity
from lib.guard.triggers import trigger_states
from lib.jobs.settings import BOUNDS as BATCH_BOUNDS
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import (
    HEALTH_QUERY_SETTING,
    LIMITS,
    VACUUM_SETTING,
    check_health_query,
    throttle_settings,
)
from lib.jobs.tuning import Tuning
from lib.registry import MIGRATED_TABLES, OWNER_TRIGGERS, REASONS, THROTTLE_SIGNALS
from lib.remainder.unresolved import UnresolvedFilter, write_csv
from lib.text import counted, in_words

CRM_EXISTS = text("SELECT to_regclass(CAST(:table AS text)) IS NOT NULL")


def status(args: argparse.Namespace) -> None:
    """Per-table coverage against the target.

    The playbook's step-3 coverage of each migrated table against the 99% target, and the
    database's revision."""
    engine = open_console_database()
    with engine.connect() as connection:
        print(f"database: {describe_url(engine.url)} at revision {current_revision(connection)}")
        print_coverage(connection)


def demo(args: argparse.Namespace) -> None:
    """Load the demo CRM into the embedded database.

    Users, accounts and opportunities with the legacy usernames a real CRM has, migrated to head
    with its initial backfill."""
    if configured_database_url() is not None:
        raise SetupError("The demo loads only into the embedded database: unset DATABASE_URL to use it.")
    engine = create_engine_for(open_embedded_database(replace=args.replace))
    with engine.connect() as connection:
        if connection.execute(CRM_EXISTS, {"table": MIGRATED_TABLES[0]}).scalar():
            raise Refused(
                f"The embedded database {EMBEDDED_DATABASE} already holds a CRM: "
                "pass --replace to drop it and load a new demo."
            )
        report = load_demo(connection, accounts=args.accounts, opportunities=args.opportunities)
        print(
            f"loaded {counted(report.users, 'user')}, {counted(report.accounts, 'account')} and "
            f"{counted(report.opportunities, 'opportunity', 'opportunities')} "
            f"in {report.load_seconds:.2f} s; "
            f"migration with initial backfill took {report.migrate_seconds:.2f} s"
        )
        print_coverage(connection)


def preflight(args: argparse.Namespace) -> None:
    """Legacy volume, username matches, forecast.

    The playbook's volume queries, how the distinct usernames match users, and the dry-run
    forecast of a backfill now. It writes nothing."""
    with open_console_database().connect() as connection:
        volume = legacy_volume(connection)
        for row in username_matches(connection):
            kinds = ", ".join(
                f"{count:,} {kind}" for kind, count in row.items() if kind not in ("table", "distinct")
            )
            print(
                f"{row['table']}: {counted(volume[row['table']], 'row')} with an owner; "
                f"{counted(row['distinct'], 'distinct username')} ({kinds})"
            )
        print_forecast(connection)


def print_forecast(connection) -> None:
    for row in forecast(connection):
        remainder = ", ".join(f"{count:,} {reason}" for reason, count in row.remainder.items()) or "none"
        print(
            f"{row.table}: a run now would resolve {counted(row.newly_resolved, 'row')}, "
            f"giving {row.resolved_pct}%; remainder {remainder}"
        )


def backfill(args: argparse.Namespace) -> int:
    """Run the batched backfill, or forecast it.

    Reconciles the rows written while the owner triggers were off, then resolves every migrated
    table in keyset batches, held by the throttle signals; a run whose process died is resumed."""
    # A dry run refuses what the run would: its settings are checked first, the health query too.
    settings = BatchSettings(batch_size=args.batch_size, pause_ms=args.pause_ms)
    options = run_options(args)
    engine = open_console_database()
    if args.dry_run:
        with engine.connect() as connection:
            check_health_query(connection, options.throttle)
            print_forecast(connection)
        return 0
    last_hold = HoldReport()

    def report(progress: Progress) -> None:
        share = f"{progress.fraction:.0%}" if progress.fraction is not None else "?"
        eta = f", ETA {progress.eta_seconds:.0f} s" if progress.eta_seconds is not None else ""
        if progress.held is not None:
            if last_hold.due(progress.held):
                held = f"{progress.held_seconds:.0f} s waited in all"
                print(
                    f"{share} waiting for {progress.held} ({held}{eta} of work once it goes on)", flush=True
                )
            return
        print(
            f"{share} scanned {progress.scanned:,}, resolved {progress.resolved:,}, "
            f"unresolved {progress.unresolved:,}, {progress.rows_per_second:,.0f} rows/s{eta}",
            flush=True,
        )

    outcome = start_backfill(engine, local_identity(), settings, report, options)
    reconciled = counted(outcome.rows_reconciled, "row")
    run = f"run {outcome.run_id} {outcome.status}"
    print(f"{run}; reconciled {reconciled} written while the owner triggers were off")
    with engine.connect() as connection:
        print_coverage(connection)
    return 0 if outcome.status == "succeeded" else 1


def run_options(args: argparse.Namespace) -> RunOptions:
    """The site's throttle settings, with what the command line sets for this run."""
    site = throttle_settings()
    given = {
        name: getattr(args, name)
        for name in (*(f"max_{signal}" for signal in LIMITS), "hold_for_vacuum", "health_query")
        if getattr(args, name) is not None
    }
    return RunOptions(
        throttle=replace(site, **given),
        tuning=Tuning(
            target_batch_ms=args.target_batch_ms,
            min_batch_size=args.min_batch_size,
            max_batch_size=args.max_batch_size,
        ),
    )


class HoldReport:
    """A held run is looked at each second: print its reason when it changes, else every 10 s."""

    EVERY_SECONDS = 10

    def __init__(self) -> None:
        self.signal, self.printed_at = None, 0.0

    def due(self, held: str) -> bool:
        signal, now = held.split(":")[0], time.monotonic()
        if signal == self.signal and now - self.printed_at < self.EVERY_SECONDS:
            return False
        self.signal, self.printed_at = signal, now
        return True


def metrics(args: argparse.Namespace) -> int:
    """Serve Prometheus metrics of the migration over HTTP.

    While it serves, it also takes the coverage snapshots and trigger samples that the
    readiness gates rely on. With --fleet, every member of the fleet file in one scrape, each
    series labelled with its database; each member's evidence is then kept by its own console."""
    # Imported here: the Prometheus client would add a tenth of a second to every other command.
    from prometheus_client import start_http_server

    from lib.background.jobs import start_background_jobs
    from lib.metrics.fleet import fleet_metrics_registry
    from lib.metrics.server import metrics_registry

    if args.fleet:
        _, members = configured_fleet()
        registry = fleet_metrics_registry(members, throttle_settings(), readiness_settings())
        engine = None
    else:
        engine = open_console_database()
        registry = metrics_registry(engine, throttle_settings(), readiness_settings())
    try:
        server, thread = start_http_server(args.port, addr=args.address, registry=registry)
    except OSError as error:  # the port in use, or an address this host does not have
        raise SetupError(
            f"Cannot serve metrics on {args.address}:{args.port}: {error.strerror or error}."
        ) from None
    # A SIGTERM ends the wait below like Ctrl-C: the server and the database close cleanly.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # The readiness evidence is taken while the metrics are served, whether anyone scrapes or not.
    jobs = start_background_jobs(engine) if engine is not None else None
    print(f"serving metrics at http://{args.address}:{server.server_port}/metrics", flush=True)
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        if jobs is not None:
            jobs.stop()
        server.shutdown()
        server.server_close()
    return 0


# What `pause`, `resume` and `cancel` print once done, for the run of the job they took.
STEERED = {
    "pause": "paused {run}: it waits before its next batch, keeping its place, until `lib.cli resume{job}`",
    "resume": "resumed {run}: it goes on from where it waited",
    "cancel": "asked {run} to stop; it stops between two batches",
}


def steer(args: argparse.Namespace) -> int:
    """Pause, resume or cancel the running job: the backfill, or verify with --job verify."""
    run_id = steer_job(open_console_database(), local_identity(), args.job, args.step)
    run, job = (f"verify run {run_id}", " --job verify") if args.job == "verify" else (f"run {run_id}", "")
    print(STEERED[args.step].format(run=run, job=job))
    return 0


def verify_drift(args: argparse.Namespace) -> int:
    """Scan every migrated table for drift; exit 0 none, 1 drift, 2 could not run.

    Drift is a row whose owner_user_id or error row disagrees with the rule. Batched, throttled
    and resumable; it can be paused, resumed and cancelled with --job verify."""
    said = {"held": None}

    def report(progress: VerifyProgress) -> None:
        if progress.held:
            # Once per reason: a hold is looked at again every second.
            if progress.held != said["held"]:
                print(f"waiting before its next batch: {progress.held}", flush=True)
            said["held"] = progress.held
            return
        said["held"] = None
        share = f"{min(progress.scanned / progress.total, 1):.0%} " if progress.total else ""
        print(f"{share}scanned {progress.scanned:,}, {progress.drifting:,} drifting", flush=True)

    engine = open_console_database()
    try:
        settings = BatchSettings(batch_size=args.batch_size, pause_ms=args.pause_ms)
        outcome = _verify_and_report(engine, settings, args.fresh, report)
        if args.repair and outcome.status == "drift":
            repair = repair_drift(engine, local_identity())
            print(
                f"repaired verify run {repair.run_id}'s {counted(repair.rows, 'drifting row')}: "
                f"{counted(repair.repaired, 'owner id')} changed; verifying again"
            )
            outcome = _verify_and_report(engine, settings, True, report)
    except ActionError as error:
        # Exit 1 means drift here: a verify that could not run says so with 2.
        print(f"error: {error}", file=sys.stderr)
        return 2
    if outcome.status == "cancelled":
        print(f"error: verify run {outcome.run_id} was cancelled before its verdict", file=sys.stderr)
        return 2
    return 1 if outcome.status == "drift" else 0


def _verify_and_report(engine, settings: BatchSettings, fresh: bool, report) -> VerifyOutcome:
    outcome = verify(engine, local_identity(), settings, fresh, report, throttle=throttle_settings())
    resumed = " (resumed)" if outcome.resumed else ""
    drifting = counted(outcome.drift_rows, "drifting row")
    print(f"verify run {outcome.run_id}{resumed}: {outcome.status}, {drifting}")
    with engine.connect() as connection:
        for row in last_verify(connection)["by_kind"]:
            print(f"{row['table']:<20}{row['kind']:<24}{row['rows']:>10,}")
    return outcome


def writers(args: argparse.Namespace) -> int:
    """Who wrote owner fields, per day: legacy path and new path, by application and role.

    As the database recorded it, once a minute per session."""
    with open_console_database().connect() as connection:
        rows = owner_writers(connection, args.days)
    if not rows:
        print(f"no owner writes seen in the last {args.days} days")
        return 0
    print(
        f"{'day':<12}{'table':<20}{'application_name':<24}{'role':<16}{'legacy':>10}{'new':>10}"
        "  last legacy write"
    )
    for row in rows:
        last = f"{row['last_legacy_at']:%Y-%m-%d %H:%M:%S} UTC" if row["last_legacy_at"] else "-"
        print(
            f"{row['day']!s:<12}{row['entity_type']:<20}{row['application_name'] or '(none)':<24}"
            f"{row['role']:<16}{row['legacy_writes']:>10,}{row['new_writes']:>10,}  {last}"
        )
    return 0


def readiness_gates(args: argparse.Namespace) -> int:
    """The gates before the contract migration; exit 0 only when all hold.

    Each readiness gate of the contract migration with its evidence, and the next step per
    table. Exit 0 when every gate holds, 1 when one does not, 2 when it cannot tell."""
    settings = readiness_settings()
    with open_console_database().connect() as connection:
        gates = readiness(connection, settings)
        steps = next_steps(connection)
    for gate in gates:
        print(f"[{'x' if gate.holds else ' '}] {gate.name}: {gate.evidence}")
        print(f"      needs {gate.threshold} ({f'set by {gate.setting}' if gate.setting else 'fixed'})")
    for step in steps:
        if step.step != "at target":
            print(f"next step for {step.table}: {step.advice()} {step.pace()}")
    if all_hold(gates):
        print(f"ready: apply the contract migration with `{APPLY_CONTRACT.splitlines()[-1]}`")
        return 0
    print(f"not ready: {sum(not gate.holds for gate in gates)} of {len(gates)} gates do not hold")
    print(outlook(gates, datetime.now(UTC)))
    return 1


def triggers(args: argparse.Namespace) -> int:
    """List the owner triggers, or enable/disable them.

    With a change, it is made once confirmed: --yes, or the change typed at a terminal, as the
    console asks. Unconfirmed, a dry run that changes nothing. Operators only; audited."""
    engine = open_console_database()
    if args.change:
        names = args.names or [state.name for state in _trigger_states(engine)]
        unknown = [name for name in names if name not in OWNER_TRIGGERS]
        if unknown:
            raise BadInput(f"not owner triggers: {', '.join(unknown)}")
        change = f"{args.change} {counted(len(names), 'trigger')}"
        if args.yes or _typed_at_a_terminal(change):
            change_triggers(engine, local_identity(), names, enable=args.change == "enable")
        else:
            print(f"dry run: would {args.change} {', '.join(names)}; nothing changed (confirm with --yes)")
    for state in _trigger_states(engine):
        print(f"{state.name:<40}{state.state}")
    return 0


def _typed_at_a_terminal(change: str) -> bool:
    """Whether a person at a terminal typed `change` when asked; False without a terminal."""
    if not sys.stdin.isatty():
        return False
    typed = input(f'Type "{change}" to confirm: ')
    if typed.strip() != change:
        print("Not confirmed.", file=sys.stderr)
        return False
    return True


def export_unresolved(args: argparse.Namespace) -> int:
    """The unresolved rows as CSV on stdout.

    Filtered by table, reason and a part of the username, as the Unresolved page exports them;
    the count of rows on stderr."""
    rows = UnresolvedFilter(
        tables=tuple(args.table or MIGRATED_TABLES),
        reasons=tuple(args.reason or REASONS),
        username_contains=args.username_contains,
    )
    with open_console_database().connect() as connection, open_stdout() as out:
        written = write_csv(connection, rows, out)
    print(counted(written, "row"), file=sys.stderr)
    return 0


def _trigger_states(engine):
    with engine.connect() as connection:
        return trigger_states(connection)


def psql(args: argparse.Namespace) -> int:
    """Open psql on the console's database; other options go to psql.

    For an operator, audited. It opens the database as it stands, whatever its revision: after
    the contract migration too."""
    # The password travels in a password file of this process's own, readable by it alone, never
    # on psql's command line, where `ps` would show it.
    url = configured_database_url() or open_embedded_database()
    # URL.set() ignores None; a URL is a named tuple. parse_database_url left the password there alone.
    conninfo = url._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)

    def session() -> int:
        with tempfile.TemporaryDirectory(prefix="owner-console-psql-") as folder:
            environment = dict(os.environ)
            if url.password:
                passfile = Path(folder) / "pgpass"
                passfile.touch(mode=0o600)
                escaped = url.password.replace("\\", "\\\\").replace(":", "\\:")
                passfile.write_text(f"*:*:*:*:{escaped}\n")
                environment["PGPASSFILE"] = str(passfile)
            return subprocess.run([PSQL, *args.psql_args, conninfo], env=environment, check=False).returncode

    engine = create_engine_for(url)
    try:
        return psql_session(engine, local_identity(), args.psql_args, session)
    except SQLAlchemyError as error:
        raise SetupError(connection_failure(engine.url, error)) from None
    finally:
        engine.dispose()


def print_coverage(connection) -> None:
    print(f"{'table':<20}{'total_legacy':>14}{'resolved_fk':>13}{'resolved_pct':>14}  target {TARGET_PCT}%")
    for row in table_coverage(connection):
        verdict = "met" if row.meets_target else "below"
        figures = f"{row.total_legacy:>14,}{row.resolved_fk:>13,}{row.resolved_pct:>14}"
        print(f"{row.table:<20}{figures}  {verdict}")


def add_throttle_options(parser: argparse.ArgumentParser) -> None:
    throttle = parser.add_argument_group(
        "throttling",
        "each limit defaults to the console's setting (lib/jobs/throttle.py); 0 turns it off",
    )
    for name, limit in LIMITS.items():
        throttle.add_argument(
            limit.option,
            dest=f"max_{name}",
            type=_seconds,
            metavar="SECONDS",
            help=f"hold while {THROTTLE_SIGNALS[name]} (default {limit.default:g}; {limit.setting})",
        )
    throttle.add_argument(
        "--hold-for-vacuum",
        action=argparse.BooleanOptionalAction,
        help=f"hold while VACUUM works on the table being filled (default on; {VACUUM_SETTING})",
    )
    throttle.add_argument(
        "--health-query",
        metavar="SQL",
        help="hold unless this read-only query's first column is true; its second says why "
        f"({HEALTH_QUERY_SETTING})",
    )
    tuning = parser.add_argument_group(
        "batch size tuning", "the batch size moves toward a target batch time, within bounds"
    )
    tuning.add_argument(
        "--target-batch-ms", type=int, default=Tuning.target_batch_ms, help="0 keeps it fixed"
    )
    tuning.add_argument("--min-batch-size", type=int, default=Tuning.min_batch_size)
    tuning.add_argument("--max-batch-size", type=int, default=Tuning.max_batch_size)


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65_535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number from 0 to 65535")
    return int(value)


def _seconds(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 0 < number <= 50_000_000:
        raise argparse.ArgumentTypeError("must be between 1 and 50,000,000")
    return number


def _days(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) <= 3660:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days between 1 and 3660")
    return int(value)


def add_batch_options(parser: argparse.ArgumentParser) -> None:
    """--batch-size and --pause-ms, as the backfill and verify share them, with their bounds."""
    for option, setting, what in (
        ("--batch-size", "batch_size", "rows a batch"),
        ("--pause-ms", "pause_ms", "pause between batches in ms, to throttle it"),
    ):
        low, high = BATCH_BOUNDS[setting]
        parser.add_argument(
            option,
            type=int,
            default=getattr(BatchSettings, setting),
            help=f"{what}, {low:,} to {high:,} (default %(default)s)",
        )


def _command(
    commands: argparse._SubParsersAction, name: str, run: Callable[[argparse.Namespace], int | None]
) -> argparse.ArgumentParser:
    """The command `name`, which `run` carries out: its help is the first line of run's docstring,
    and its description the whole docstring."""
    described = inspect.getdoc(run)
    parser = commands.add_parser(name, help=described.splitlines()[0], description=described)
    parser.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    _command(commands, "status", status)
    demo_parser = _command(commands, "demo", demo)
    demo_parser.add_argument("--accounts", type=_count, default=DEFAULT_ACCOUNTS)
    demo_parser.add_argument("--opportunities", type=_count, default=DEFAULT_OPPORTUNITIES)
    demo_parser.add_argument("--replace", action="store_true", help="drop an existing demo database first")
    _command(commands, "preflight", preflight)
    backfill_parser = _command(commands, "backfill", backfill)
    add_batch_options(backfill_parser)
    backfill_parser.add_argument(
        "--dry-run", action="store_true", help="print what a run would do; write nothing"
    )
    add_throttle_options(backfill_parser)
    for step, says in (
        ("cancel", "Ask the running (or paused) job to stop"),
        ("pause", "Hold the running job before its next batch, keeping its place"),
        ("resume", "Let the paused job go on"),
    ):
        steer_parser = commands.add_parser(step, help=f"{says}: the backfill, or verify with --job verify.")
        steer_parser.add_argument("--job", choices=("backfill", "verify"), default="backfill")
        steer_parser.set_defaults(run=steer, step=step)
    metrics_parser = _command(commands, "metrics", metrics)
    metrics_parser.add_argument("--port", type=_port, required=True, help="0 picks a free port")
    metrics_parser.add_argument(
        "--address", default="127.0.0.1", help="the address to listen on (default 127.0.0.1; 0.0.0.0 for all)"
    )
    metrics_parser.add_argument(
        "--fleet", action="store_true", help="every member of the fleet file, each series labelled database"
    )
    verify_parser = _command(commands, "verify", verify_drift)
    add_batch_options(verify_parser)
    verify_parser.add_argument(
        "--fresh", action="store_true", help="start over instead of resuming a verify whose process died"
    )
    verify_parser.add_argument(
        "--repair",
        action="store_true",
        help="when it finds drift, bring the drifting rows back to the rule (operators; audited), "
        "then verify again",
    )
    writers_parser = _command(commands, "writers", writers)
    writers_parser.add_argument("--days", type=_days, default=7, help="the last N UTC days (default 7)")
    _command(commands, "readiness", readiness_gates)
    triggers_parser = _command(commands, "triggers", triggers)
    triggers_parser.add_argument("change", nargs="?", choices=("enable", "disable"))
    triggers_parser.add_argument(
        "names", nargs="*", help=f"trigger names; all {in_words(len(OWNER_TRIGGERS))} when none"
    )
    triggers_parser.add_argument(
        "--yes",
        action="store_true",
        help="make the change; without, a terminal asks for it typed, else a dry run",
    )
    export_parser = _command(commands, "export-unresolved", export_unresolved)
    export_parser.add_argument("--table", action="append", choices=MIGRATED_TABLES)
    export_parser.add_argument("--reason", action="append", choices=REASONS)
    export_parser.add_argument("--username-contains", default="")
    add_alias_commands(commands)
    add_fleet_commands(commands)
    _command(commands, "psql", psql)
    args, args.psql_args = parser.parse_known_args(argv)
    if args.psql_args and args.command != "psql":
        parser.error(f"unrecognized arguments: {' '.join(args.psql_args)}")
    try:
        return args.run(args) or 0
    except ActionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        # The database went away mid-command (a run it was in shows as interrupted once the next
        # runner or a console finds its lock free).
        if not is_connection_problem(error):
            raise
        url = configured_database_url() or URL.create("postgresql", database=EMBEDDED_DATABASE)
        print(f"error: {connection_failure(url, error)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from failing on exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
