"""The Operations page: the trigger change behind its confirmation, verify, a held run paused and
resumed, and a background start refused, each as an operator or a viewer sees it."""

import threading

from sqlalchemy import text

from lib.backfill.task import RunOptions, run_backfill
from lib.drift.verify import Verify, run_verify
from lib.guard.identity import local_identity
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import ThrottleSettings
from lib.registry import OWNER_TRIGGERS
from lib.text import as_text
from tests.support.pages import texts
from tests.support.polling import wait_for
from tests.support.runs import latest_verify
from tests.support.site import set_site_setting


def test_an_operator_runs_verify_and_sees_the_drifting_rows_with_their_kind(console, demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    app = console(demo_db, "operations")
    assert "No verify yet" in " ".join(texts(app.caption))
    with demo_db.begin() as connection:
        connection.exec_driver_sql("SELECT migration_ops.stand_owner_triggers_aside()")
        row = connection.execute(
            text("SELECT min(id) FROM crm_accounts WHERE owner_user_id IS NOT NULL")
        ).scalar()
        connection.execute(text("UPDATE crm_accounts SET owner_username = 'x' WHERE id = :id"), {"id": row})
    # The dialog's button is driven in Chromium (tests/browser/test_incident_rollback.py).
    assert run_verify(demo_db, Verify(BatchSettings(), local_identity().name, "console")).status == "drift"

    app = console(demo_db, "operations")
    assert not app.exception
    badges = [m.value for m in app.markdown if "-badge[" in m.value]
    assert any("verify run 1 drift" in badge for badge in badges)
    kinds = next(table.value for table in app.table if "meaning" in table.value.columns)
    assert list(kinds.index) == [as_text("stale_id")] and list(kinds["rows"]) == [1]
    drifting = next(frame.value for frame in app.dataframe if "entity_id" in frame.value.columns)
    assert list(drifting["entity_id"]) == [row]
    assert any("1 drifting row" in caption for caption in texts(app.caption))


def test_a_viewer_sees_operations_with_every_action_control_disabled_and_why(console, demo_db):
    app = console(demo_db, "operations")  # DATABASE_URL set, local user not listed: a viewer
    assert not app.exception
    assert "is a viewer: actions are for operators" in app.info[0].value
    assert app.button(key="operations_open").disabled
    assert app.button(key="verify_open").disabled
    assert app.button(key="operations_apply").disabled
    assert app.text_input(key="operations_confirm").disabled


def test_an_operator_disables_a_trigger_only_after_typing_the_confirmation(console, demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    app = console(demo_db, "operations")
    assert app.radio(key="operations_change").value is None  # no change is preset
    assert app.radio(key="operations_change").options == ["disable"]  # every trigger is enabled
    assert not any(app.checkbox(key=f"operations_None_{name}").value for name in OWNER_TRIGGERS)
    app.radio(key="operations_change").set_value("disable").run()
    # Choosing the change ticks every trigger it applies to; the operator keeps one.
    assert all(app.checkbox(key=f"operations_disable_{name}").value for name in OWNER_TRIGGERS)
    for name in set(OWNER_TRIGGERS) - {"crm_accounts_owner_log_guard"}:
        app.checkbox(key=f"operations_disable_{name}").uncheck()
    app.run()
    assert app.button(key="operations_apply").disabled  # nothing typed yet
    app.text_input(key="operations_confirm").input("disable 1 trigger").run()
    app.button(key="operations_apply").click().run()
    assert not app.exception
    with demo_db.connect() as connection:
        state = connection.execute(
            text("SELECT tgenabled FROM pg_trigger WHERE tgname = 'crm_accounts_owner_log_guard'")
        ).scalar()
        audited = connection.execute(
            text("SELECT action, outcome, actor FROM migration_ops.audit_log ORDER BY id")
        ).all()
    assert state == "D"
    assert audited == [
        ("disable triggers", outcome, local_identity().name) for outcome in ("started", "succeeded")
    ]
    # The form starts afresh, offering both changes now that one trigger is off and three are on.
    assert app.success[0].value == "Done: disable 1 trigger."
    assert app.radio(key="operations_change").value is None
    assert app.radio(key="operations_change").options == ["disable", "enable"]
    assert app.text_input(key="operations_confirm").value == ""


def test_a_held_run_says_why_and_an_operator_pauses_and_resumes_it(console, demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    with demo_db.begin() as connection:
        connection.execute(text("CREATE TABLE ops_health (healthy boolean)"))
        connection.execute(text("INSERT INTO ops_health VALUES (false)"))
    health = ThrottleSettings(health_query="SELECT healthy, 'standby pool busy' FROM ops_health")
    options = RunOptions(throttle=health)
    runner = threading.Thread(
        target=lambda: run_backfill(demo_db, BatchSettings(), "ops.lead", "cli", options=options)
    )
    runner.start()
    wait_for(lambda: latest_hold(demo_db) == "health_query", "the run to wait for its health query")
    app = console(demo_db, "operations")
    assert not app.exception
    assert "Waiting before its next batch: health_query: it said standby pool busy" in app.warning[0].value
    app.button(key="operations_pause_backfill").click().run()
    wait_for(lambda: latest_hold(demo_db) == "paused", "the run to say it is paused")
    app.run()
    assert f"paused by {local_identity().name}" in app.warning[0].value
    app.button(key="operations_resume_backfill").click().run()
    with demo_db.begin() as connection:
        connection.execute(text("UPDATE ops_health SET healthy = true"))
    runner.join(timeout=60)
    with demo_db.connect() as connection:
        audited = connection.execute(
            text("SELECT action, outcome FROM migration_ops.audit_log ORDER BY id")
        ).all()
    assert audited == [
        ("pause backfill", "started"),
        ("pause backfill", "succeeded"),
        ("resume backfill", "started"),
        ("resume backfill", "succeeded"),
    ]
    assert latest_hold(demo_db) is None


def test_a_backfill_refused_as_it_starts_in_the_background_says_why_in_the_dialog(
    console, demo_db, monkeypatch
):
    """The start returns to the page only once its run exists; a run refused before that (here a
    health query that cannot answer) is shown where Start was pressed, not lost with the thread."""
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    monkeypatch.setenv("OWNER_CONSOLE_HEALTH_QUERY", "SELECT 1 / 0 > 0")
    app = console(demo_db, "operations")
    app.button(key="operations_open").click().run()
    app.button(key="operations_start").click().run()
    assert not app.exception
    assert any("The health query cannot be used" in error for error in texts(app.error))
    with demo_db.connect() as connection:
        audited = connection.execute(
            text("SELECT action, outcome, detail FROM migration_ops.audit_log ORDER BY id")
        ).all()
    assert [(action, outcome) for action, outcome, _ in audited] == [("backfill", "failed")]
    assert "division by zero" in audited[0].detail


def latest_hold(engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT held_by FROM migration_ops.backfill_runs ORDER BY id DESC LIMIT 1")
        ).scalar()


def test_a_held_verify_says_why_and_an_operator_pauses_resumes_and_cancels_it(console, demo_db):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    with demo_db.begin() as connection:
        connection.execute(text("CREATE TABLE ops_health (healthy boolean)"))
        connection.execute(text("INSERT INTO ops_health VALUES (false)"))
    health = ThrottleSettings(health_query="SELECT healthy, 'standby pool busy' FROM ops_health")
    outcome = {}
    runner = threading.Thread(
        target=lambda: outcome.update(
            run=run_verify(demo_db, Verify(BatchSettings(), "ops.lead", "cli", throttle=health))
        )
    )
    runner.start()
    wait_for(lambda: latest_verify_hold(demo_db) == "health_query", "verify to wait for its health query")
    app = console(demo_db, "operations")
    assert not app.exception
    shown = texts(app.warning)
    assert "Waiting before its next batch: health_query: it said standby pool busy." in shown
    app.button(key="operations_pause_verify").click().run()
    wait_for(lambda: latest_verify_hold(demo_db) == "paused", "verify to say it is paused")
    app.run()
    assert f"Waiting before its next batch: paused: paused by {local_identity().name}." in texts(app.warning)
    app.button(key="operations_resume_verify").click().run()
    wait_for(
        lambda: latest_verify_hold(demo_db) == "health_query", "verify to wait for its health query again"
    )
    app.run()
    app.button(key="operations_cancel_verify").click().run()
    runner.join(timeout=60)
    assert outcome["run"].status == "cancelled"
    app.run()
    assert not app.exception
    assert any(
        "-badge[" in m.value and "verify run" in m.value and "cancelled" in m.value for m in app.markdown
    )
    with demo_db.connect() as connection:
        audited = connection.execute(
            text("SELECT action, outcome FROM migration_ops.audit_log ORDER BY id")
        ).all()
    assert audited == [
        (action, outcome)
        for action in ("pause verify", "resume verify", "cancel verify")
        for outcome in ("started", "succeeded")
    ]


def latest_verify_hold(engine) -> str | None:
    run = latest_verify(engine)
    return run and run.held_by
