"""The readiness gates (docs/design.md, The finish line): on the demo brought to readiness every
gate holds, and each gate fails on its own evidence while the others keep holding. Time passes by
ageing the evidence, never by waiting."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from lib.coverage.snapshots import take_due_snapshots
from lib.drift.verify import Verify, run_verify
from lib.errors import SettingError
from lib.finish.readiness import outlook, readiness, readiness_settings
from lib.guard.actions import change_triggers
from lib.jobs.settings import BatchSettings
from lib.registry import OWNER_TRIGGERS
from tests.support.cli import cli, url_of
from tests.support.crm import behind_the_triggers, owner_triggers_off, update_row
from tests.support.finish import DEFAULTS, OPERATOR, age_evidence, bring_to_readiness, verify_passes

pytestmark = pytest.mark.operators(OPERATOR.name)


@pytest.fixture
def ready_db(demo_db):
    bring_to_readiness(demo_db)
    return demo_db


def failing(engine, settings=DEFAULTS) -> dict[str, str]:
    with engine.connect() as connection:
        return {gate.name: gate.evidence for gate in readiness(connection, settings) if not gate.holds}


def test_the_demo_as_loaded_is_blocked_by_accounts_below_target(demo_db):
    blocked = failing(demo_db)
    assert blocked["Coverage of crm_accounts held at or above 99%"].startswith("below the target now: 98.8")
    result = cli("readiness", database_url=url_of(demo_db))
    assert result.returncode == 1, result.stderr
    assert "[ ] Coverage of crm_accounts held at or above 99%: below the target now" in result.stdout
    assert "next step for crm_accounts: No backfill can reach it; " in result.stdout
    assert "more rows must be remediated to reach 99% (unresolved by reason: " in result.stdout


def test_the_cli_exits_0_when_every_gate_holds(ready_db):
    result = cli("readiness", database_url=url_of(ready_db))
    assert result.returncode == 0, result.stdout
    assert result.stdout.count("[x]") == 6
    ready = "ready: apply the contract migration with `.venv/bin/alembic -n contract upgrade head`"
    assert ready in result.stdout


def test_coverage_must_hold_in_every_snapshot_of_the_window(ready_db):
    with ready_db.begin() as connection:
        connection.execute(
            text("""
                UPDATE migration_ops.coverage_snapshots SET resolved_pct = 98.5
                WHERE id = (SELECT max(id) FROM migration_ops.coverage_snapshots
                            WHERE entity_type = 'crm_opportunities' AND taken_at < now() - interval '1 day')
            """)
        )
    assert list(failing(ready_db)) == ["Coverage of crm_opportunities held at or above 99%"]
    age_evidence(ready_db, 8)
    with ready_db.connect() as connection:
        take_due_snapshots(connection)
    verify_passes(ready_db)
    assert failing(ready_db) == {}


def test_verify_must_have_passed_within_the_window(ready_db):
    age_evidence(ready_db, 2)
    assert list(failing(ready_db)) == ["Verify found no drift"]
    verify_passes(ready_db)
    with ready_db.begin() as connection:
        behind_the_triggers(connection, "UPDATE crm_accounts SET owner_user_id = NULL WHERE id = 10")
    assert run_verify(ready_db, Verify(BatchSettings(), "ops.lead", "cli")).status == "drift"
    assert failing(ready_db)["Verify found no drift"].endswith("drift in 1 row")


def test_a_legacy_write_holds_the_gate_for_the_window(ready_db):
    with ready_db.begin() as connection:
        update_row(connection, "crm_accounts", 20, owner_username="rosa.chen")
    assert list(failing(ready_db)) == ["No client writes through the legacy path"]
    age_evidence(ready_db, 6)
    assert list(failing(ready_db, readiness_settings({"OWNER_CONSOLE_VERIFY_MAX_AGE_HOURS": "200"}))) == [
        "No client writes through the legacy path"
    ]
    assert failing(ready_db, readiness_settings({"OWNER_CONSOLE_VERIFY_MAX_AGE_HOURS": "200",
                                                 "OWNER_CONSOLE_LEGACY_QUIET_DAYS": "5"})) == {}  # fmt: skip


def test_writers_must_have_been_watched_for_the_window(ready_db):
    with ready_db.begin() as connection:
        connection.execute(text("UPDATE migration_ops.owner_writers_watch SET started_at = now()"))
    assert failing(ready_db)["No client writes through the legacy path"].endswith("(0 s)")


@pytest.mark.parametrize("how", ["off now", "seen off by a snapshot", "changed in the audit log"])
def test_the_owner_triggers_must_have_stayed_on(ready_db, how):
    with ready_db.begin() as connection:
        if how == "off now":
            connection.exec_driver_sql(
                "ALTER TABLE crm_accounts DISABLE TRIGGER crm_accounts_owner_log_guard"
            )
        elif how == "seen off by a snapshot":
            connection.execute(
                text("""
                    INSERT INTO migration_ops.coverage_snapshots (taken_at, entity_type, total_legacy,
                      resolved_fk, resolved_pct, reason, owner_triggers_enabled)
                    SELECT now() - interval '2 days', entity_type, total_legacy, resolved_fk,
                           resolved_pct, reason, false
                    FROM migration_ops.coverage_snapshots ORDER BY id DESC LIMIT 1
                """)
            )
    if how == "changed in the audit log":
        change_triggers(ready_db, OPERATOR, list(OWNER_TRIGGERS), enable=True)
    assert list(failing(ready_db)) == ["The four owner triggers stayed enabled"]


def test_the_gate_gives_the_audit_logs_own_times_of_the_last_disable_and_enable(ready_db):
    change_triggers(ready_db, OPERATOR, list(OWNER_TRIGGERS), enable=False)
    change_triggers(ready_db, OPERATOR, list(OWNER_TRIGGERS), enable=True)
    with ready_db.connect() as connection:
        logged = connection.execute(
            text("SELECT action, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM "
                 "migration_ops.audit_log WHERE action LIKE '%triggers' AND outcome = 'succeeded' "
                 "ORDER BY id")
        ).all()  # fmt: skip
    [(_, disabled), (_, enabled)] = logged
    evidence = failing(ready_db)["The four owner triggers stayed enabled"]
    assert f"(the audit log: disabled at {disabled} UTC, enabled at {enabled} UTC)" in evidence


def test_the_outlook_gives_the_earliest_time_every_gate_holds_or_what_waiting_cannot_do(ready_db):
    change_triggers(ready_db, OPERATOR, list(OWNER_TRIGGERS), enable=False)
    change_triggers(ready_db, OPERATOR, list(OWNER_TRIGGERS), enable=True)
    now = datetime.now(UTC)
    with ready_db.connect() as connection:
        gates = readiness(connection, DEFAULTS)
    said = outlook(gates, now)
    # The triggers' week starts again with their re-enable: the last gate to hold.
    earliest = datetime.strptime(said.split("earliest ")[1][:16], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert said.endswith("UTC, if nothing changes.") and said.startswith(
        "Every gate can hold at the earliest "
    )
    assert abs(earliest - (now + timedelta(days=7))) < timedelta(minutes=2)
    result = cli("readiness", database_url=url_of(ready_db))
    assert "Every gate can hold at the earliest " in result.stdout

    with ready_db.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE crm_accounts DISABLE TRIGGER crm_accounts_owner_log_guard")
        gates = readiness(connection, DEFAULTS)
    assert outlook(gates, now) == (
        "Waiting alone will not make these hold: The four owner triggers stayed enabled."
    )


def test_writes_reconciled_after_the_triggers_were_off_hold_the_gate(ready_db):
    with ready_db.begin() as connection, owner_triggers_off(connection, "crm_opportunities"):
        update_row(connection, "crm_opportunities", 7, owner_user_id=1)
    evidence = failing(ready_db)["The four owner triggers stayed enabled"]
    assert "rows written while they were off wait to be reconciled" in evidence


def test_a_foreign_key_not_validated_fails_its_gate(ready_db):
    with ready_db.begin() as connection:
        connection.exec_driver_sql(
            "ALTER TABLE crm_opportunities DROP CONSTRAINT crm_opportunities_owner_user_id_fkey; "
            "ALTER TABLE crm_opportunities ADD CONSTRAINT crm_opportunities_owner_user_id_fkey "
            "FOREIGN KEY (owner_user_id) REFERENCES app_users (id) NOT VALID"
        )
    assert failing(ready_db) == {
        "The owner_user_id foreign keys are validated": "NOT VALID: crm_opportunities_owner_user_id_fkey"
    }


def test_a_bad_threshold_is_named():
    with pytest.raises(SettingError, match="OWNER_CONSOLE_COVERAGE_HELD_DAYS is 'a week'"):
        readiness_settings({"OWNER_CONSOLE_COVERAGE_HELD_DAYS": "a week"})
