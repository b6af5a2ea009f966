"""Every page renders over the demo data, and its key figures equal the playbook's SQL."""

import json
import threading

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import create_engine, text

import lib.background.jobs
import ui.database
from lib.aliases.store import ProposedAlias, list_aliases
from lib.aliases.suggestions import compute_suggestions, kept_suggestions
from lib.backfill.loop import RunOptions, run_backfill
from lib.backfill.settings import BatchSettings
from lib.backfill.throttle import ThrottleSettings
from lib.coverage.counts import table_coverage
from lib.drift.verify import run_verify
from lib.errors import Refused
from lib.finish.readiness import readiness, readiness_settings
from lib.guard.actions import add_aliases, cancel_backfill
from lib.guard.identity import Identity, local_identity
from lib.guard.triggers import rollback_sql
from lib.registry import MIGRATED_TABLES, OWNER_TRIGGERS
from lib.text import as_text
from tests.conftest import admin_connection, wait_for
from tests.crm import add_user, error_rows, insert_row, owner_of, unresolved_rows
from tests.pages.conftest import PAGES, chart_specs, has_target_rule, texts
from tests.playbook import playbook_sql_blocks
from tests.site import set_site_setting


def playbook_coverage(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {row.table: f"{row.resolved_pct}%" for row in table_coverage(connection)}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(console, demo_db, page):
    app = console(demo_db, page)
    assert not app.exception
    assert not app.error
    assert app.title[0].value == page.capitalize()
    # No trigger is disabled in the demo: only the next step of the accounts (below target), and the
    # readiness gates that do not hold yet, warn.
    assert not app.warning or page in ("overview", "finish")


def test_overview_shows_slo_unresolved_count_triggers_and_backfill(console, demo_db):
    app = console(demo_db, "overview")
    with demo_db.connect() as connection:
        coverage = {row.table: row for row in table_coverage(connection)}
        unresolved = {
            t: sum(1 for (table, _) in error_rows(connection) if table == t) for t in MIGRATED_TABLES
        }
    metrics = {(metric.label, metric.value) for metric in app.metric}
    for table in MIGRATED_TABLES:
        assert ("resolved_pct", f"{coverage[table].resolved_pct}%") in metrics
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


@pytest.mark.parametrize("page", ["overview", "finish"])
def test_no_eta_beside_a_next_step_that_says_no_backfill_can_reach_the_target(console, demo_db, page):
    """Two one-off fixes in twenty minutes of snapshots, on a table that only remediation can bring
    to the target: the page says how far coverage moved, and gives no time to the target."""
    with demo_db.begin() as connection:
        connection.execute(
            text("""
                INSERT INTO migration_ops.coverage_snapshots
                  (taken_at, entity_type, total_legacy, resolved_fk, resolved_pct, reason)
                VALUES (now() - interval '20 minutes', 'crm_accounts', 1940, 1910, 98.45, 'interval'),
                       (now(), 'crm_accounts', 1940, 1917, 98.81, 'interval')
            """)
        )
    app = console(demo_db, page)
    assert any("Next step: No backfill can reach it" in warning for warning in texts(app.warning))
    captions = " ".join(texts(app.caption))
    assert "Coverage moved +0.36 pts (98.45% → 98.81%) over the 20 min of snapshots so far" in captions
    assert " away" not in captions and "pts a day" not in captions


def test_preflight_volume_matches_and_a_forecast_that_writes_nothing(console, demo_db):
    volume_sql = playbook_sql_blocks()[0]
    with demo_db.begin() as connection:
        volumes = [connection.execute(text(statement)).scalar() for statement in volume_sql.split(";")[:2]]
        add_user(connection, "ghost.owner")  # no row names them: nothing changes
        missing = connection.execute(
            text(
                "SELECT owner_username FROM owner_backfill_errors WHERE reason = 'user_not_found' "
                "AND entity_type = 'crm_accounts' AND owner_username ~ '^[a-z.]+$' LIMIT 1"
            )
        ).scalar_one()
        add_user(connection, missing)
        expected_new = [
            connection.execute(
                text(
                    f"SELECT count(*) FROM {table} WHERE owner_user_id IS NULL AND btrim(owner_username) = :u"
                ),
                {"u": missing},
            ).scalar_one()
            for table in MIGRATED_TABLES
        ]
        before = error_rows(connection)

    app = console(demo_db, "preflight")
    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert [metrics[f"{table} with an owner"] for table in MIGRATED_TABLES] == [f"{v:,}" for v in volumes]
    assert not [frame for frame in app.dataframe if "distinct" in frame.value.columns]  # counted when asked
    app.button(key="preflight_count_usernames").click().run()
    matches = app.dataframe[0].value.set_index("table")
    with demo_db.connect() as connection:
        for table in MIGRATED_TABLES:
            distinct = connection.execute(
                text(f"SELECT count(DISTINCT owner_username) FROM {table} WHERE btrim(owner_username) <> ''")
            ).scalar()
            assert matches.loc[table, "distinct"] == distinct
        assert error_rows(connection) == before  # the dry run wrote nothing
    would_resolve = [m.value for m in app.metric if m.label == "rows a run would resolve"]
    assert would_resolve == [f"{count:,}" for count in expected_new]
    assert expected_new[0] > 0


def test_coverage_page_equals_the_playbook_and_draws_the_target(console, demo_db):
    app = console(demo_db, "coverage")
    assert {metric.label: metric.value for metric in app.metric} == playbook_coverage(demo_db)
    specs = chart_specs(app)
    # The live bars run from the target: a rule at 0 points from it.
    [rule] = [layer for layer in specs[0]["layer"] if layer.get("mark", {}).get("type") == "rule"]
    assert (
        rule["encoding"]["x"]["datum"] == 0 and specs[0]["layer"][0]["encoding"]["x"]["field"] == "distance"
    )
    assert app.toggle(key="coverage_paused").value is False


def test_coverage_history_charts_the_snapshots_with_the_target(console, demo_db):
    with demo_db.begin() as connection:
        connection.execute(
            text("""
                INSERT INTO migration_ops.coverage_snapshots
                    (taken_at, entity_type, total_legacy, resolved_fk, resolved_pct, reason)
                VALUES (now() - interval '10 minutes', 'crm_accounts', 100, 90, 90.00, 'interval')
            """)
        )
    app = console(demo_db, "coverage")
    specs = chart_specs(app)
    # The bars, the history, and a burn-down per table.
    assert len(specs) == 2 + len(MIGRATED_TABLES) and has_target_rule(specs[1])
    assert specs[1]["layer"][0]["encoding"]["x"]["field"] == "taken_at"
    assert all(spec["layer"][0]["encoding"]["y"]["field"] == "unresolved" for spec in specs[2:])


def test_runbook_checks_each_rollout_step_and_shows_the_playbook_rollback(console, demo_db):
    app = console(demo_db, "runbook")
    checks = [m.value for m in app.markdown if m.value.startswith(":material/check_box")]
    done = {line.split("**")[1]: line.startswith(":material/check_box:") for line in checks}
    assert done == {
        "Apply the migrations": True,
        "Initial backfill ran on crm_accounts": True,
        "Initial backfill ran on crm_opportunities": True,
        "Coverage of crm_accounts at least 99%": False,
        "Coverage of crm_opportunities at least 99%": True,
        "Remainder of crm_accounts visible in owner_backfill_errors": True,
        "Remainder of crm_opportunities visible in owner_backfill_errors": True,
        # The finish: the readiness gates, live. The demo is new, so only the foreign keys hold.
        "Coverage of crm_accounts held at or above 99%": False,
        "Coverage of crm_opportunities held at or above 99%": False,
        "Verify found no drift": False,
        "No client writes through the legacy path": False,
        "The four owner triggers stayed enabled": False,
        "The owner_user_id foreign keys are validated": True,
    }
    rollback = playbook_sql_blocks()[-1].strip()
    assert rollback_sql("DISABLE") == rollback
    code = [block.value for block in app.code]
    assert rollback in code
    assert ".venv/bin/python -m lib.cli readiness\n.venv/bin/alembic -n contract upgrade head" in code
    assert ".venv/bin/alembic -n contract downgrade -1" in code


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
    assert run_verify(demo_db, BatchSettings(), local_identity().name, "console").status == "drift"

    app = console(demo_db, "operations")
    assert not app.exception
    badges = [m.value for m in app.markdown if "-badge[" in m.value]
    assert any("verify run 1 drift" in badge for badge in badges)
    kinds = next(table.value for table in app.table if "meaning" in table.value.columns)
    assert list(kinds.index) == [as_text("stale_id")] and list(kinds["rows"]) == [1]
    drifting = next(frame.value for frame in app.dataframe if "entity_id" in frame.value.columns)
    assert list(drifting["entity_id"]) == [row]
    assert any("1 drifting row" in caption for caption in texts(app.caption))


@pytest.mark.parametrize("page", PAGES)
def test_with_a_header_configured_a_visitor_without_it_sees_a_refusal_and_nothing_else(
    console, demo_db, monkeypatch, page
):
    # The security review's case: the server's OS user is a listed local operator, for cron.
    monkeypatch.setenv("OWNER_CONSOLE_IDENTITY_HEADER", "X-Forwarded-User")
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    app = console(demo_db, page)
    assert not app.exception
    assert [title.value for title in app.title] == ["Owner migration console"]
    assert len(app.error) == 1 and "X-Forwarded-User header" in app.error[0].value
    assert not app.sidebar.children and not app.button and not app.dataframe and not app.metric


@pytest.mark.parametrize("page", PAGES)
def test_an_unreachable_database_gets_one_message_on_every_page(console, page):
    app = console("postgresql://app:pw@127.0.0.1:1/crm", page)
    assert not app.exception
    assert texts(app.error) == [
        "Cannot connect to crm on 127.0.0.1:1: Connection refused (is the server running?)."
    ]


def test_a_malformed_database_url_gets_its_message_and_no_promise_of_recovery(console):
    app = console("mysql://app:pw@db.internal/crm", "overview")
    assert not app.exception
    assert texts(app.error) == [
        "DATABASE_URL uses the scheme 'mysql', but this console needs PostgreSQL: "
        "use postgresql://user:password@host:5432/database."
    ]
    assert not [caption for caption in texts(app.caption) if "Trying again" in caption]


def test_a_never_migrated_database_gets_one_message(console, empty_db):
    app = console(empty_db, "coverage")
    assert not app.exception
    assert "has not been migrated" in app.error[0].value


def test_a_database_that_went_away_is_named_and_the_page_recovers(console, demo_db, server_url):
    app = console(demo_db, "coverage")
    assert app.metric
    name = demo_db.url.database
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
        )
    st.cache_data.clear()  # the live figures are shared for a few seconds; skip that wait
    app.run()
    assert not app.exception
    assert texts(app.error) == [
        f"Cannot connect to {name} on {server_url.query['host']}: "
        f'database "{name}" is not currently accepting connections.'
    ]
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    app.run()
    assert not app.exception and not app.error
    assert {metric.label: metric.value for metric in app.metric} == playbook_coverage(demo_db)


def test_unresolved_page_breakdown_filters_and_inactive_owners_equal_sql(console, demo_db):
    app = console(demo_db, "unresolved")
    with demo_db.connect() as connection:
        step4 = [tuple(row) for row in connection.execute(text(playbook_sql_blocks()[3]))]
        inactive = {
            table: connection.execute(
                text(
                    f"SELECT count(*) FROM {table} AS t JOIN app_users AS u ON u.id = t.owner_user_id "
                    "WHERE NOT u.is_active"
                )
            ).scalar()
            for table in MIGRATED_TABLES
        }
    assert [tuple(row) for row in app.dataframe[0].value.itertuples(index=False)] == step4
    assert app.get("download_button")[0].label == f"Download these {sum(row[2] for row in step4)} rows as CSV"
    assert [e.label for e in app.expander if ": " in e.label] == [
        f"{t}: {n} rows" for t, n in inactive.items()
    ]

    app.pills(key="unresolved_tables").set_value(["crm_opportunities"])
    app.pills(key="unresolved_reasons").set_value(["ambiguous_username"]).run()
    expected = next(
        count
        for table, reason, count in step4
        if (table, reason) == ("crm_opportunities", "ambiguous_username")
    )
    assert app.get("download_button")[0].label == f"Download these {expected} rows as CSV"
    rows = app.dataframe[1].value
    assert set(rows["entity_type"]) == {"crm_opportunities"} and set(rows["reason"]) == {"ambiguous_username"}
    assert len(rows) == expected


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


def test_the_audit_log_shows_on_the_runbook_page(console, demo_db, monkeypatch):
    with pytest.raises(Refused):
        cancel_backfill(demo_db, Identity("someone", "oidc"))
    app = console(demo_db, "runbook")
    log = app.table[-1].value
    assert list(log["actor"]) == ["someone"] and list(log["outcome"]) == ["refused"]
    assert list(log["via"]) == ["console"] and list(log["identified by"]) == ["oidc"]


def test_a_viewer_sees_remediation_suggestions_with_every_action_disabled(console, demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_OPERATORS", "lead@example.com")
    with demo_db.begin() as connection:
        add_user(connection, "john.smith")
        insert_row(connection, "crm_accounts", owner_username="jsmith")
    add_aliases(demo_db, Identity("lead@example.com", "oidc"), [ProposedAlias("jsmith", "john.smith")], "cli")
    compute(demo_db)  # as the console's background job does after an alias change
    app = console(demo_db, "remediation")  # DATABASE_URL set, local user not listed: a viewer
    assert not app.exception
    assert "is a viewer" in app.info[0].value
    assert "Waiting for the backfill: 1 aliased username, 1 row." in app.info[1].value
    assert app.data_editor[0].proto.disabled
    for key in ("remediation_preview", "remediation_backfill_open", "remediation_remove"):
        assert app.button(key=key).disabled
    assert app.multiselect(key="remediation_remove_names").disabled


def test_an_operator_previews_a_removal_then_removes_the_alias(console, demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    with demo_db.begin() as connection:
        smith = add_user(connection, "john.smith")
        row = insert_row(connection, "crm_accounts", owner_username="jsmith")
    operator = local_identity()
    add_aliases(demo_db, operator, [ProposedAlias("jsmith", user_id=smith)], "import")
    compute(demo_db)
    app = console(demo_db, "remediation")
    app.button(key="remediation_backfill_open").click().run()
    app.button(key="remediation_backfill_start").click().run()  # the confirmation Operations shows
    wait_for(lambda: owner_of_row(demo_db, row) == smith, "the backfill to resolve the aliased row")
    app = console(demo_db, "remediation")
    app.multiselect(key="remediation_remove_names").select("jsmith").run()
    assert "back to unresolved: 1 of 1 crm_accounts rows" in " ".join(texts(app.markdown))
    app.button(key="remediation_remove").click().run()
    assert not app.exception
    assert "1 alias removed and audited; 1 row unresolved again." in app.success[0].value
    assert owner_of_row(demo_db, row) is None
    with demo_db.connect() as connection:
        assert not list_aliases(connection)
        assert set(error_rows(connection)) == unresolved_rows(connection)


def owner_of_row(engine, row: int) -> int | None:
    with engine.connect() as connection:
        return owner_of(connection, "crm_accounts", row)[1]


def compute(engine) -> None:
    with engine.connect() as connection:
        compute_suggestions(connection)


def test_remediation_shows_the_kept_suggestions_until_asked_to_recompute(console, db, monkeypatch):
    monkeypatch.setattr(lib.background.jobs, "JOBS", ())  # what the page shows, not when the job runs
    with db.begin() as connection:
        add_user(connection, "john.smith")
        insert_row(connection, "crm_accounts", owner_username="jsmith")
    app = console(db, "remediation")
    assert not app.exception
    assert "Finding candidate owners" in app.info[-1].value
    assert app.tabs[2].caption[0].value == "No aliases yet."  # the other tabs are there
    compute(db)
    app.run()
    assert shown_names(app) == ["jsmith"]
    assert "background job" in app.caption[1].value
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="john-smith")
    app.run()
    assert shown_names(app) == ["jsmith"]  # an ordinary write: the kept list is still current
    assert not app.warning
    app.button(key="remediation_recompute").click().run()
    # A list younger than ON_REQUEST_REUSE_SECONDS is what Recompute gives, however often clicked.
    assert shown_names(app) == ["jsmith"]
    monkeypatch.setattr(ui.database, "ON_REQUEST_REUSE_SECONDS", 0)
    app.button(key="remediation_recompute").click().run()
    assert not app.exception
    assert sorted(shown_names(app)) == ["john-smith", "jsmith"]
    add_aliases(db, local_operator(monkeypatch), [ProposedAlias("jsmith", "john.smith")], "review")
    app.run()
    assert "Computed before the latest backfill run or alias change" in app.warning[0].value


def test_the_console_computes_the_suggestions_in_the_background(console, db):
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="ghost")
    console(db, "overview")

    def kept():
        with db.connect() as connection:
            return kept_suggestions(connection)

    wait_for(lambda: kept() is not None, "the background job to keep the suggestions")
    assert kept().open_names == 1


def local_operator(monkeypatch) -> Identity:
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    return local_identity()


def shown_names(app) -> list[str]:
    return list(app.data_editor[0].value["legacy name"])


def test_finish_shows_the_gates_the_next_step_and_a_legacy_writer(console, demo_db):
    legacy_api = create_engine(demo_db.url, connect_args={"application_name": "legacy-api"})
    with legacy_api.begin() as connection:
        connection.execute(text("UPDATE crm_accounts SET owner_username = 'rosa.chen' WHERE id = 10"))
    legacy_api.dispose()
    with demo_db.connect() as connection:
        gates = readiness(connection, readiness_settings({}))
    app = console(demo_db, "finish")
    assert not app.exception
    warnings = texts(app.warning)
    assert warnings[0].startswith(
        "1 of 6 readiness gates hold: the legacy column stays until all do. Waiting alone will not "
        "make these hold: Coverage of crm_accounts held at or above 99%; Verify found no drift. The "
        "others hold at the earliest "
    )
    assert warnings[-1] == "Still writing through the legacy path: legacy-api."
    gate_lines = [m.value for m in app.markdown if "check_box" in m.value]
    assert len(gate_lines) == len(gates) == 6
    assert gate_lines[-1].startswith(":material/check_box: **The owner_user_id foreign keys are validated**")
    assert "**No client writes through the legacy path** — last legacy-path write" in gate_lines[3]
    # The same next step, in the same colour, as on Overview.
    [next_step] = [warning for warning in warnings if warning.startswith("Next step: ")]
    assert next_step.startswith("Next step: No backfill can reach it; ")
    # A table at target is told what is left here, not sent to the page it is on.
    [at_target] = texts(app.success)
    assert at_target.endswith("the readiness gates above say what is left.")
    assert not any("on Finish" in line for line in texts(app.success) + warnings)
    # A table at target is told what is left here, not sent to the page it is on.
    [at_target] = texts(app.success)
    assert at_target.endswith("the readiness gates above say what is left.")
    assert not any("on Finish" in line for line in texts(app.success) + warnings)
    writers = app.dataframe[0].value
    assert writers[["entity_type", "application_name", "legacy_writes", "new_writes"]].values.tolist() == [
        ["crm_accounts", "legacy-api", 1, 0]
    ]


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


@pytest.mark.parametrize("page", PAGES)
def test_every_table_draws_its_counts_with_separators_and_its_ids_without(console, demo_db, page):
    run_backfill(demo_db, BatchSettings(), "ops.lead", "cli")  # the runs table has a row
    app = console(demo_db, page)
    assert not app.exception
    for frame in app.dataframe:
        config = json.loads(frame.proto.columns)
        for name, column in frame.value.items():
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                identifies = str(name).endswith("id") or name in ("run", "batch")
                expected = "%.2f" if name == "score" else "%d" if identifies else "localized"
                form = config[name]["type_config"]["format"]
                assert form == expected, (page, name, form)


def test_unresolved_says_so_when_no_row_is_recorded_instead_of_an_empty_chart(console, demo_db):
    with demo_db.begin() as connection:
        connection.execute(text("DELETE FROM owner_backfill_errors"))
    app = console(demo_db, "unresolved")
    assert not app.exception and not chart_specs(app)
    assert "owner_backfill_errors holds no rows" in texts(app.info)[0]
