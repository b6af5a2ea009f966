"""Rollouts over members on three real servers: the canary, then each wave once the one before has
passed its gates; held by drift; halted by a member whose server died, and resumed; surviving the
death of its worker; one at a time; an operator's only. The worker is a process of its own
(`lib.cli fleet worker`), and so is every command."""

import os
import pwd
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, ProgrammingError

from lib.db.database import create_engine_for, recreate_database
from lib.db.schema import BASELINE_REVISION, current_revision, head_revision
from lib.demo.generator import load_demo
from lib.fleet.gates import member_gates
from lib.guard.actions import repair_drift
from lib.guard.identity import local_identity
from tests.support.cli import cli, url_of
from tests.support.crm import behind_the_triggers
from tests.support.database import (
    DEMO_ACCOUNTS,
    DEMO_OPPORTUNITIES,
    DEMO_TEMPLATE,
    LEGACY_TEMPLATE,
    TEST_DATA_DIR,
)
from tests.support.fleet import KillableServer, fleet_file, fleet_worker, plan_file
from tests.support.polling import wait_for

LOCAL_USER = pwd.getpwuid(os.getuid()).pw_name
pytestmark = [pytest.mark.slow, pytest.mark.operators(local=LOCAL_USER)]


@pytest.fixture
def control(fleet_servers, databases):
    """The console's own database, empty: the fleet's control database once migrated."""
    return databases(fleet_servers[0], "template0")


def rollout_rows(control, rollout_id):
    with control.connect() as connection:
        return {
            row.member: row
            for row in connection.execute(
                text("SELECT * FROM fleet_control.rollout_members WHERE rollout_id = :id"), {"id": rollout_id}
            )
        }


def fleet_audit(control, action):
    with control.connect() as connection:
        return connection.execute(
            text(
                "SELECT member, at, outcome, detail FROM fleet_control.audit "
                "WHERE action = :action ORDER BY id"
            ),
            {"action": action},
        ).all()


def member_audit(engine, action):
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT at, outcome, parameters->>'rollout' AS rollout FROM migration_ops.audit_log "
                "WHERE action = :action ORDER BY id"
            ),
            {"action": action},
        ).all()


def test_a_rollout_takes_every_member_from_the_baseline_through_the_canary_and_its_waves(
    tmp_path, fleet_servers, databases, control, monkeypatch
):
    one, two, three = fleet_servers
    members = {
        "canary": databases(one, LEGACY_TEMPLATE),
        "eu-2": databases(two, LEGACY_TEMPLATE),
        "us-1": databases(three, LEGACY_TEMPLATE),
        "late": databases(two, LEGACY_TEMPLATE),
    }
    waves = {"canary": 0, "eu-2": 1, "us-1": 1, "late": 2}
    path = fleet_file(tmp_path, *((name, url_of(engine), waves[name]) for name, engine in members.items()))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    with fleet_worker(url_of(control)):
        result = cli(
            "fleet", "rollout", "--plan", str(plan_file(tmp_path)), "--wait", database_url=url_of(control)
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "finished" in result.stdout.splitlines()[-1]
    rows = rollout_rows(control, 1)
    assert {name: row.state for name, row in rows.items()} == dict.fromkeys(members, "passed")
    for name, engine in members.items():
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
            gates = member_gates(connection, soaked_seconds=0, soak_seconds=0)
        assert all(gate.holds for gate in gates), (name, gates)
        assert [row.rollout for row in member_audit(engine, "migrate")] == ["1"]
        assert [(row.outcome, row.rollout) for row in member_audit(engine, "backfill")] == [
            ("started", "1"),
            ("succeeded", "1"),
        ]
    # Each wave started only once every member of the one before had passed.
    passed = {row.member: row.at for row in fleet_audit(control, "member passed")}
    started = {name: member_audit(engine, "migrate")[0].at for name, engine in members.items()}
    assert passed["canary"] < min(started["eu-2"], started["us-1"])
    assert max(passed["eu-2"], passed["us-1"]) < started["late"]


def rollout_state(control) -> tuple[str, dict[str, str]]:
    with control.connect() as connection:
        status = connection.execute(
            text("SELECT status FROM fleet_control.rollouts ORDER BY id DESC")
        ).scalar()
        states = connection.execute(text("SELECT member, state FROM fleet_control.rollout_members")).all()
    return status, dict(states)


def start(tmp_path, control, *extra: str) -> subprocess.CompletedProcess:
    result = cli("fleet", "rollout", "--plan", str(plan_file(tmp_path)), *extra, database_url=url_of(control))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_canary_is_held_at_its_gate_by_drift_until_it_is_repaired_and_retried(
    tmp_path, fleet_servers, databases, control, monkeypatch
):
    one, two, _ = fleet_servers
    canary, wave_1 = databases(one, DEMO_TEMPLATE), databases(two, LEGACY_TEMPLATE)
    with canary.begin() as connection:
        stale = connection.execute(text("SELECT max(id) FROM app_users")).scalar_one()
        behind_the_triggers(
            connection,
            "UPDATE crm_accounts SET owner_user_id = :stale WHERE id = 7 AND owner_user_id <> :stale",
            stale=stale,
        )
    path = fleet_file(tmp_path, ("canary", url_of(canary), 0), ("wave-1", url_of(wave_1), 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    with fleet_worker(url_of(control)):
        start(tmp_path, control)
        wait_for(lambda: rollout_rows(control, 1)["canary"].problem or "", "the canary held at a gate")
        held = rollout_rows(control, 1)["canary"]
        assert held.state == "gating"
        assert held.problem.startswith("verify: verify run ") and "found drift in 1 row" in held.problem
        assert rollout_state(control) == ("running", {"canary": "gating", "wave-1": "waiting"})
        with wave_1.connect() as connection:
            assert current_revision(connection) == BASELINE_REVISION
        # Repaired on the canary, then retried: its backfill and verify run again, and wave 1 goes.
        repair_drift(canary, local_identity())
        retried = cli("fleet", "retry", "canary", database_url=url_of(control))
        assert retried.returncode == 0, retried.stdout + retried.stderr
        wait_for(lambda: rollout_state(control)[0] == "finished", "the rollout to finish", timeout=120)
    assert rollout_state(control) == ("finished", {"canary": "passed", "wave-1": "passed"})
    assert [(row.outcome, row.member) for row in fleet_audit(control, "retry member")] == [
        ("succeeded", "canary")
    ]


def test_two_consoles_starting_a_rollout_at_once_one_is_refused(
    tmp_path, fleet_servers, databases, control, monkeypatch
):
    one, two, _ = fleet_servers
    path = fleet_file(
        tmp_path,
        ("a", url_of(databases(one, LEGACY_TEMPLATE)), 0),
        ("b", url_of(databases(two, LEGACY_TEMPLATE)), 1),
    )
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    plan = str(plan_file(tmp_path))
    # The control database's revisions first, so that both race on the rollout alone.
    assert cli("fleet", "cancel", database_url=url_of(control)).returncode == 1
    both = [
        subprocess.Popen(
            [sys.executable, "-m", "lib.cli", "fleet", "rollout", "--plan", plan],
            env={**os.environ, "DATABASE_URL": url_of(control)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = sorted((process.wait(timeout=60), process.communicate()[1]) for process in both)
    assert [status for status, _ in results] == [0, 1]
    assert "one rollout at a time" in results[1][1]
    assert sorted(row.outcome for row in fleet_audit(control, "start rollout")) == ["refused", "succeeded"]


@pytest.mark.operators(local="someone-else")
def test_a_viewer_is_refused_every_fleet_action_and_each_refusal_is_audited(
    tmp_path, fleet_servers, databases, control, monkeypatch
):
    member = databases(fleet_servers[1], LEGACY_TEMPLATE)
    path = fleet_file(tmp_path, ("a", url_of(member), 0))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    for command in (
        ("rollout",),
        ("pause",),
        ("resume",),
        ("cancel",),
        ("retry", "a"),
        ("skip", "a", "--reason", "not today"),
    ):
        result = cli("fleet", *command, database_url=url_of(control))
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.startswith(f"error: Refused: {LOCAL_USER} (local) is a viewer"), result.stderr
    with control.connect() as connection:
        refused = connection.execute(
            text("SELECT action, outcome, actor FROM fleet_control.audit ORDER BY id")
        ).all()
        assert connection.execute(text("SELECT count(*) FROM fleet_control.rollouts")).scalar_one() == 0
    assert refused == [
        (action, "refused", LOCAL_USER)
        for action in (
            "start rollout",
            "pause rollout",
            "resume rollout",
            "cancel rollout",
            "retry member",
            "skip member",
        )
    ]
    with member.connect() as connection:
        assert current_revision(connection) == BASELINE_REVISION


# The member's backfill waits before its first batch while this table exists: the run is under
# way, held, when the test strikes.
HOLD = "SELECT to_regclass('public.hold_the_backfill') IS NULL"


def held_backfill(engine) -> int | None:
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT id FROM migration_ops.backfill_runs WHERE held_by = 'health_query'")
            ).scalar()
    except OperationalError:
        return None
    except ProgrammingError:  # not migrated yet
        return None


def backfill_runs(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT id, status, resumed_from FROM migration_ops.backfill_runs ORDER BY id")
        ).all()


def release(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE hold_the_backfill"))


def test_a_member_whose_server_dies_mid_backfill_halts_its_wave_and_when_retried_resumes_its_own_run(
    tmp_path, fleet_servers, databases, control, monkeypatch
):
    server = KillableServer(Path(f"{TEST_DATA_DIR}-fleet-doomed"))
    member = create_engine_for(recreate_database(server.url, "crm_doomed"))
    with member.connect() as connection:
        load_demo(connection, DEMO_ACCOUNTS, DEMO_OPPORTUNITIES, migrate=False)
        connection.execute(text("CREATE TABLE hold_the_backfill ()"))
        connection.commit()
    other = databases(fleet_servers[1], LEGACY_TEMPLATE)
    path = fleet_file(tmp_path, ("doomed", url_of(member), 0), ("other", url_of(other), 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    monkeypatch.setenv("OWNER_CONSOLE_HEALTH_QUERY", HOLD)
    try:
        with fleet_worker(url_of(control)):
            start(tmp_path, control)
            wait_for(lambda: held_backfill(member), "the member's backfill held")
            first_run = held_backfill(member)
            server.kill()
            wait_for(lambda: rollout_state(control)[0] == "halted", "the rollout halted")
            assert rollout_state(control) == ("halted", {"doomed": "failed", "other": "waiting"})
            assert rollout_rows(control, 1)["doomed"].problem.startswith("backfill: ")
            server.start()
            release(member)
            retried = cli("fleet", "retry", "doomed", database_url=url_of(control))
            assert retried.returncode == 0, retried.stdout + retried.stderr
            wait_for(lambda: rollout_state(control)[0] == "finished", "the rollout to finish", timeout=120)
        assert [run[1:] for run in backfill_runs(member)] == [("interrupted", None), ("succeeded", first_run)]
        assert rollout_rows(control, 1)["doomed"].attempt == 2
    finally:
        member.dispose()


def test_a_rollout_goes_on_after_its_console_and_its_worker_are_sigkilled_and_nothing_is_done_twice(
    tmp_path, fleet_servers, databases, control, monkeypatch
):
    one, two, _ = fleet_servers
    canary, wave_1 = databases(one, LEGACY_TEMPLATE), databases(two, LEGACY_TEMPLATE)
    with canary.begin() as connection:
        connection.execute(text("CREATE TABLE hold_the_backfill ()"))
    path = fleet_file(tmp_path, ("canary", url_of(canary), 0), ("wave-1", url_of(wave_1), 1))
    monkeypatch.setenv("OWNER_CONSOLE_FLEET", str(path))
    monkeypatch.setenv("OWNER_CONSOLE_HEALTH_QUERY", HOLD)
    with fleet_worker(url_of(control)) as worker:
        console = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lib.cli",
                "fleet",
                "rollout",
                "--plan",
                str(plan_file(tmp_path)),
                "--wait",
            ],
            env={**os.environ, "DATABASE_URL": url_of(control)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: held_backfill(canary), "the canary's backfill held")
        first_run = held_backfill(canary)
        for process in (console, worker):
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert rollout_state(control) == ("running", {"canary": "backfilling", "wave-1": "waiting"})
    release(canary)
    with fleet_worker(url_of(control)):
        wait_for(lambda: rollout_state(control)[0] == "finished", "the rollout to finish", timeout=120)
    assert rollout_state(control) == ("finished", {"canary": "passed", "wave-1": "passed"})
    # The killed run was resumed, and no step ran twice.
    assert [run[1:] for run in backfill_runs(canary)] == [("interrupted", None), ("succeeded", first_run)]
    for engine in (canary, wave_1):
        assert len(member_audit(engine, "migrate")) == 1
        assert [row.outcome for row in member_audit(engine, "verify")] == ["started", "succeeded"]
