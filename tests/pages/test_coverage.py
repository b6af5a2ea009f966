"""The Coverage page: live coverage equal to the playbook's step-3 SQL, its history, and the target."""

from sqlalchemy import text

from lib.registry import MIGRATED_TABLES
from tests.support.pages import chart_specs, has_target_rule
from tests.support.playbook import coverage_by_the_playbook


def test_coverage_page_equals_the_playbook_and_draws_the_target(console, demo_db):
    app = console(demo_db, "coverage")
    assert {metric.label: metric.value for metric in app.metric} == coverage_by_the_playbook(demo_db)
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
