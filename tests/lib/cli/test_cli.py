"""The CLI as cron or CI runs it: figures on stdout, or one sentence on stderr and exit 1 (not done)
or 2 (configuration or database)."""

import csv
import io
import os
import re
import shlex
import socket
import subprocess
import sys

import pytest
from sqlalchemy import text

from lib.coverage.counts import table_coverage
from lib.db.schema import APPLY_CONTRACT, ROLL_BACK_CONTRACT, head_revision
from lib.db.settings import PROJECT_ROOT
from lib.guard.identity import local_identity
from lib.guard.triggers import trigger_states
from lib.jobs.job import BACKFILL
from tests.support.cli import cli, url_of
from tests.support.crm import unresolved_accounts
from tests.support.database import password_login
from tests.support.site import set_site_setting


def test_status_prints_the_playbook_coverage(demo_db):
    with demo_db.connect() as connection:
        coverage = table_coverage(connection)
    result = cli("status", database_url=url_of(demo_db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(f"at revision {head_revision()}")
    for row, line in zip(coverage, lines[2:], strict=True):
        assert line.split() == [
            row.table,
            f"{row.total_legacy:,}",
            f"{row.resolved_fk:,}",
            str(row.resolved_pct),
            "met" if row.meets_target else "below",
        ]


@pytest.mark.parametrize(
    ("database_url", "sentence"),
    [
        ("mysql://app:pw@db/crm", "error: DATABASE_URL uses the scheme 'mysql'"),
        (
            "postgresql://app:pw@127.0.0.1:1/crm",
            "error: Cannot connect to crm on 127.0.0.1:1: Connection refused (is the server running?).",
        ),
        (
            "postgresql://app:pw@no-such-host.invalid/crm",
            "error: Cannot connect to crm on no-such-host.invalid",
        ),
    ],
)
def test_a_bad_database_url_gets_one_sentence_and_exit_2(database_url, sentence):
    result = cli("status", database_url=database_url)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(sentence)
    assert result.stderr.count("\n") == 1


def test_a_never_migrated_database_gets_one_sentence_and_exit_2(empty_db):
    result = cli("status", database_url=url_of(empty_db))
    assert result.returncode == 2
    assert "has not been migrated: run `alembic upgrade head`" in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_demo_command_refuses_a_configured_database(demo_db):
    result = cli("demo", database_url=url_of(demo_db))
    assert result.returncode == 2
    assert "The demo loads only into the embedded database" in result.stderr


def test_alembic_itself_gives_one_sentence_for_a_bad_url():
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": "postgresql://app:pw@127.0.0.1:1/crm"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: Cannot connect to crm on 127.0.0.1:1: Connection refused (is the server running?)."
    )


def test_a_password_with_an_unescaped_at_sign_is_refused_without_showing_any_of_it():
    result = subprocess.run(
        [sys.executable, "-m", "lib.cli", "status"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": "postgresql://app:pw@tail@127.0.0.1:1/crm"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: DATABASE_URL has an @ in its user or password: write it percent-encoded, as %40."
    )


def test_psql_opens_the_consoles_database_with_the_given_options_for_an_operator_audited(demo_db):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    result = cli("psql", "-At", "-c", "SELECT count(*) FROM crm_accounts", database_url=url_of(demo_db))
    assert (result.returncode, result.stdout) == (0, "2000\n")
    with demo_db.connect() as connection:
        audited = connection.execute(
            text("SELECT actor, outcome, detail FROM migration_ops.audit_log WHERE action = 'psql session'")
        ).all()
    assert audited == [
        (local_identity().name, "started", None),
        (local_identity().name, "succeeded", "psql exited with 0"),
    ]


def test_psql_is_refused_to_a_viewer_and_audited(demo_db):
    result = cli("psql", "-c", "DROP TABLE crm_opportunities", database_url=url_of(demo_db))
    assert result.returncode == 1 and "is a viewer" in result.stderr
    with demo_db.connect() as connection:
        assert connection.execute(text("SELECT to_regclass('crm_opportunities') IS NOT NULL")).scalar_one()
        audited = (
            connection.execute(
                text("SELECT outcome FROM migration_ops.audit_log WHERE action = 'psql session'")
            )
            .scalars()
            .all()
        )
    assert audited == ["refused"]


@pytest.mark.parametrize("written", ["in the URL", "as ?password="])
def test_psql_gets_the_password_from_a_file_never_on_its_command_line(demo_db, server_url, written):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    password = "pass:with\\odd-chars"
    role = password_login(server_url, "psql_probe", password, "SUPERUSER")
    url = role.set(database=demo_db.url.database)
    if written == "as ?password=":
        url = url.set(password=None).update_query_dict({"password": password})
    url = url.render_as_string(hide_password=False)
    asked = cli("psql", "-At", "-c", "SELECT current_user", database_url=url)
    assert (asked.returncode, asked.stdout) == (0, "psql_probe\n"), asked.stderr
    # psql's own command line, as `ps` shows it, read by a shell that psql starts.
    shown = cli("psql", "-At", "-c", "\\! tr '\\0' ' ' < /proc/$PPID/cmdline", database_url=url)
    assert "psql" in shown.stdout and "psql_probe" in shown.stdout
    assert "pass" not in shown.stdout and password not in shown.stderr


def test_every_cli_action_of_a_local_viewer_is_refused_and_audited(demo_db):
    url = url_of(demo_db)
    for args in (["backfill"], ["cancel"], ["triggers", "disable", "--yes"]):
        result = cli(*args, database_url=url)
        assert result.returncode == 1, args
        assert "is a viewer; operators are listed in the console's configuration" in result.stderr
    with demo_db.connect() as connection:
        audited = connection.execute(
            text("SELECT action, outcome, actor_source FROM migration_ops.audit_log ORDER BY id")
        ).all()
        assert connection.execute(text("SELECT count(*) FROM migration_ops.backfill_runs")).scalar() == 0
    assert audited == [
        ("backfill", "refused", "local"),
        ("cancel backfill", "refused", "local"),
        ("disable triggers", "refused", "local"),
    ]


def test_triggers_disable_without_yes_is_a_dry_run_that_changes_nothing(demo_db):
    """As the console asks for the change typed, and the alias commands for --yes: with no
    terminal to ask at, nothing changes."""
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    result = cli("triggers", "disable", database_url=url_of(demo_db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("dry run: would disable crm_accounts_owner_sync_guard, ")
    assert "nothing changed (confirm with --yes)" in result.stdout
    with demo_db.connect() as connection:
        assert {state.enabled for state in trigger_states(connection)} == {True}
        assert connection.execute(text("SELECT count(*) FROM migration_ops.audit_log")).scalar() == 0


def test_the_cli_acts_as_the_os_account_of_its_uid_whatever_logname_says(demo_db, monkeypatch):
    """cron may set LOGNAME or USER to anything; the audit names the account the process runs as."""
    monkeypatch.setenv("LOGNAME", "cronbot")
    monkeypatch.setenv("USER", "cronbot")
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", "cronbot")
    refused = cli("triggers", "disable", "--yes", database_url=url_of(demo_db))
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    done = cli("triggers", "disable", "crm_accounts_owner_log_guard", "--yes", database_url=url_of(demo_db))
    assert (refused.returncode, done.returncode) == (1, 0), done.stderr
    with demo_db.connect() as connection:
        audited = connection.execute(
            text("SELECT actor, actor_source, outcome FROM migration_ops.audit_log ORDER BY id")
        ).all()
    assert audited == [
        (local_identity().name, "local", "refused"),
        (local_identity().name, "local", "started"),
        (local_identity().name, "local", "succeeded"),
    ]
    assert local_identity().name != "cronbot"


def test_a_listed_local_operator_runs_the_backfill_from_the_cli(demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    result = cli("backfill", "--batch-size", "5000", "--pause-ms", "0", database_url=url_of(demo_db))
    assert result.returncode == 0, result.stderr
    assert re.search(r"run \d+ succeeded", result.stdout)
    assert "100% scanned 8,000" in result.stdout


def test_export_unresolved_writes_the_filtered_rows_as_csv(demo_db):
    result = cli(
        "export-unresolved",
        "--table",
        "crm_accounts",
        "--reason",
        "user_not_found",
        database_url=url_of(demo_db),
    )
    rows = list(csv.reader(io.StringIO(result.stdout)))
    with demo_db.connect() as connection:
        expected = connection.execute(
            text(
                "SELECT count(*) FROM owner_backfill_errors "
                "WHERE entity_type = 'crm_accounts' AND reason = 'user_not_found'"
            )
        ).scalar()
    assert rows[0][0] == "entity_type" and len(rows) - 1 == expected
    assert result.stderr == f"{expected:,} {'row' if expected == 1 else 'rows'}\n"


def test_export_unresolved_stops_cleanly_when_its_reader_goes_away(db):
    with db.begin() as connection:
        unresolved_accounts(connection, 50_000)  # far more than a pipe holds
    export = subprocess.Popen(
        [sys.executable, "-m", "lib.cli", "export-unresolved"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url_of(db)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert export.stdout.readline().startswith(b"entity_type,")
    export.stdout.close()  # as `| head -1` does
    # The export closes its stream, and the connection is rolled back and given back: no hang.
    assert export.wait(timeout=60) == 0
    assert export.stderr.read() == b""


def test_cancel_with_no_backfill_running_was_not_done_exits_1_and_is_audited(demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    result = cli("cancel", database_url=url_of(demo_db))
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "error: No backfill is running.\n")
    with demo_db.connect() as connection:
        audited = connection.execute(text("SELECT action, outcome FROM migration_ops.audit_log")).all()
    assert audited == [("cancel backfill", "started"), ("cancel backfill", "refused")]


@pytest.mark.slow
def test_a_backfill_while_another_holds_the_lock_is_busy_and_exits_1(demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    with BACKFILL.lock(demo_db) as held:
        assert held
        result = cli("backfill", database_url=url_of(demo_db))
    assert result.returncode == 1
    assert result.stderr.startswith("error: A backfill is already running")
    with demo_db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM migration_ops.backfill_runs")).scalar() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--max-replica-lag", "-1"),
            "--max-replica-lag must be a number of seconds from 0 (off) to 3,600; got -1.0.",
        ),
        (("--max-lock-wait", "soon"), None),
        (("--health-query", "SELEC 1"), "The health query cannot be used: syntax error"),
        (("--target-batch-ms", "90000"), "target batch time must be from 0 (fixed size) to 60,000 ms"),
    ],
)
def test_bad_throttle_options_are_refused_with_a_reason_and_start_nothing(
    demo_db, monkeypatch, args, message
):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    result = cli("backfill", *args, database_url=url_of(demo_db))
    if message is None:  # argparse's own usage error
        assert result.returncode == 2 and "is not a number of seconds" in result.stderr
    else:
        assert result.returncode == 1 and message in result.stderr, result.stderr
    with demo_db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM migration_ops.backfill_runs")).scalar() == 0


def test_pause_and_resume_with_no_backfill_say_so_and_exit_1(demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    paused = cli("pause", database_url=url_of(demo_db))
    resumed = cli("resume", database_url=url_of(demo_db))
    assert (paused.returncode, paused.stderr) == (
        1,
        "error: No backfill is running: only a running one can be paused.\n",
    )
    assert (resumed.returncode, resumed.stderr) == (1, "error: No backfill is paused.\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--batch-size", "0"), "batch size must be a whole number from 100 to 100,000; got 0."),
        (("--batch-size", "-5"), "batch size must be a whole number from 100 to 100,000; got -5."),
        (("--pause-ms", "-1"), "pause ms must be a whole number from 0 to 60,000; got -1."),
        (("--max-replica-lag", "-3"), "--max-replica-lag must be a number of seconds from 0 (off)"),
        (("--health-query", "SELECT 1/0"), "The health query cannot be used:"),
    ],
)
def test_a_dry_run_refuses_what_the_run_refuses(demo_db, arguments, message):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    result = cli("backfill", "--dry-run", *arguments, database_url=url_of(demo_db))
    assert result.returncode == 1, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_metrics_on_a_port_in_use_or_an_address_it_cannot_have_says_so_in_one_sentence(demo_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        in_use = cli("metrics", "--port", str(port), database_url=url_of(demo_db))
    assert in_use.returncode == 2 and "Traceback" not in in_use.stderr
    assert (
        in_use.stderr.strip() == f"error: Cannot serve metrics on 127.0.0.1:{port}: Address already in use."
    )
    for address in ("no.such.host.invalid", "999.1.1.1"):
        bad = cli("metrics", "--port", "0", "--address", address, database_url=url_of(demo_db))
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
        assert bad.stderr.startswith(f"error: Cannot serve metrics on {address}:0: ")


def test_removing_an_alias_that_does_not_exist_exits_1_dry_run_or_not(demo_db):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    dry = cli("aliases", "remove", "no-such-alias", database_url=url_of(demo_db))
    done = cli("aliases", "remove", "no-such-alias", "--yes", database_url=url_of(demo_db))
    assert (dry.returncode, done.returncode) == (1, 1), dry.stdout + done.stdout


@pytest.mark.parametrize(
    "command",
    [
        "status",
        "demo",
        "preflight",
        "backfill",
        "metrics",
        "verify",
        "writers",
        "readiness",
        "triggers",
        "export-unresolved",
        "psql",
    ],
)
def test_every_command_says_what_it_does_under_help(command):
    result = subprocess.run(
        [sys.executable, "-m", "lib.cli", command, "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    usage, description = result.stdout.split("\n\n")[:2]
    assert result.returncode == 0 and usage.startswith(f"usage: python -m lib.cli {command}")
    assert not description.startswith("options:") and len(description) > 40


def test_batch_options_show_their_bounds_under_help():
    for command in ("backfill", "verify"):
        shown = subprocess.run(
            [sys.executable, "-m", "lib.cli", command, "--help"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        ).stdout
        assert "rows a batch, 100 to 100,000 (default 10000)" in " ".join(shown.split())


def test_the_contract_commands_the_pages_show_run_when_pasted_into_a_fresh_shell():
    """No activated environment: each command's program is the project's own, from its folder."""
    for command in (*APPLY_CONTRACT.splitlines(), ROLL_BACK_CONTRACT):
        program = PROJECT_ROOT / shlex.split(command)[0]
        assert program.is_file() and os.access(program, os.X_OK), command
