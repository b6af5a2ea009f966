"""The Overview page: the SLO per table equal to the playbook's SQL, the triggers, the banner of a
disabled trigger, and rows waiting to be reconciled."""

from sqlalchemy import text

from lib.backfill.task import run_backfill
from lib.guard.triggers import rollback_sql
from lib.jobs.settings import BatchSettings
from lib.registry import MIGRATED_TABLES
from tests.support.crm import error_rows
from tests.support.pages import texts
from tests.support.playbook import coverage_by_the_playbook


def test_overview_shows_slo_unresolved_count_triggers_and_backfill(console, demo_db):
    app = console(demo_db, "overview")
    with demo_db.connect() as connection:
        unresolved = {
            t: sum(1 for (table, _) in error_rows(connection) if table == t) for t in MIGRATED_TABLES
        }
    metrics = {(metric.label, metric.value) for metric in app.metric}
    for table, resolved_pct in coverage_by_the_playbook(demo_db).items():
        assert ("resolved_pct", resolved_pct) in metrics
        assert ("unresolved rows", f"{unresolved[table]:,}") in metrics
    badges = [m.value for m in app.markdown if "-badge[" in m.value and "SLO" in m.value]
    assert [("red" in badge, "SLO missed" in badge) for badge in badges] == [(True, True), (False, False)]
    trigger_lines = [m.value for m in app.markdown if "_guard" in m.value]
    assert len(trigger_lines) == 4 and all(line.endswith(":green-badge[enabled]") for line in trigger_lines)
    # Every table has its next step: the one at target is pointed at the readiness gates.
    assert texts(app.success) == [
        "Next step: At or above the 99% target: the readiness gates on Finish say when the legacy "
        "column can go."
    ]
    [next_step] = texts(app.warning)
    assert next_step.startswith("Next step: No backfill can reach it; ")
    assert "more rows must be remediated to reach 99%" in next_step


def test_a_disabled_trigger_puts_a_banner_above_the_page(console, demo_db):
    # AppTest drops app.py's own elements once it switches page, so this checks the default
    # page; tests/browser checks the banner on every page in Chromium.
    with demo_db.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE crm_accounts DISABLE TRIGGER crm_accounts_owner_log_guard")
    app = console(demo_db, "overview")
    assert not app.exception
    [banner] = [warning.value for warning in app.warning if "not enabled" in warning.value]
    # Exactly which trigger, and what stops while it is off; not a word of the sync trigger's duty.
    assert banner.startswith("1 owner trigger not enabled")
    assert "the log trigger `crm_accounts_owner_log_guard` is disabled" in banner
    assert "writes do not update owner_backfill_errors" in banner
    assert "owner_user_id" not in banner


def test_rows_written_while_the_triggers_are_off_show_as_waiting_until_a_backfill(console, demo_db):
    with demo_db.begin() as connection:
        connection.exec_driver_sql(rollback_sql("DISABLE"))
        row = connection.execute(text("SELECT min(id) FROM crm_accounts")).scalar_one()
        connection.execute(text("UPDATE crm_accounts SET owner_username = 'x' WHERE id = :id"), {"id": row})
    app = console(demo_db, "overview")
    waiting = "Written while the owner triggers were off: 1 row of crm_accounts."
    assert any(waiting in info.value for info in app.info)
    with demo_db.begin() as connection:
        connection.exec_driver_sql(rollback_sql("ENABLE"))
    app = console(demo_db, "overview")
    assert not app.warning or all("_guard" not in warning.value for warning in app.warning)
    assert any(waiting in info.value for info in app.info)  # enabled again, still waiting
    run_backfill(demo_db, BatchSettings(), "ops.lead", "cli")
    assert not any(waiting in info.value for info in console(demo_db, "overview").info)
