"""Preflight figures and the dry-run forecast, against the same SQL rule, writing nothing."""

from decimal import Decimal

from sqlalchemy import text

from lib.coverage.counts import table_coverage
from lib.coverage.forecast import forecast
from lib.coverage.preflight import legacy_volume, username_matches
from lib.coverage.runbook import rollout_checks
from lib.registry import MIGRATED_TABLES
from lib.sql import query
from tests.support.crm import error_rows, insert_row, resolve


def test_volume_is_the_playbooks_preflight_count(demo_db):
    with demo_db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="  nobody ")
        counted = {
            table: connection.execute(query("volume", table)).scalar_one() for table in MIGRATED_TABLES
        }
        assert legacy_volume(connection) == counted


def test_distinct_usernames_are_classified_by_the_resolution_rule(demo_db):
    with demo_db.connect() as connection:
        matches = {row.pop("table"): row for row in username_matches(connection)}
        for table in MIGRATED_TABLES:
            names = connection.execute(
                text(f"SELECT DISTINCT owner_username FROM {table} WHERE btrim(owner_username) <> ''")
            ).scalars()
            expected = {}
            for name in names:
                kind = resolve(connection, name).match_kind
                expected[kind] = expected.get(kind, 0) + 1
            assert matches[table].pop("distinct") == sum(expected.values())
            assert {kind: count for kind, count in matches[table].items() if count} == expected
            assert matches[table]["case_insensitive"] > 0 and matches[table]["ambiguous"] > 0


def test_the_forecast_predicts_what_the_backfill_then_does_without_writing(demo_db):
    with demo_db.begin() as connection:
        # Rows written while the sync trigger was off, and a user created since: all resolvable now.
        connection.exec_driver_sql("ALTER TABLE crm_accounts DISABLE TRIGGER crm_accounts_owner_sync_guard")
        for _ in range(3):
            insert_row(connection, "crm_accounts", owner_username=" ANNA.SMITH")
        connection.exec_driver_sql("ALTER TABLE crm_accounts ENABLE TRIGGER crm_accounts_owner_sync_guard")
        connection.execute(
            text("INSERT INTO app_users (username) VALUES ('anna.smith') ON CONFLICT DO NOTHING")
        )
    with demo_db.begin() as connection:
        errors_before = error_rows(connection)
        predicted = {row.table: row for row in forecast(connection)}
        assert error_rows(connection) == errors_before
        assert predicted["crm_accounts"].newly_resolved >= 3
        connection.execute(text("SELECT run_owner_backfill()"))
        after = {row.table: row for row in table_coverage(connection)}
        remainder = {}
        for (table, _), (_, reason) in error_rows(connection).items():
            remainder.setdefault(table, {}).setdefault(reason, 0)
            remainder[table][reason] += 1
    for table in MIGRATED_TABLES:
        assert (
            predicted[table].total_legacy,
            predicted[table].resolved_fk,
            predicted[table].resolved_pct,
        ) == (
            after[table].total_legacy,
            after[table].resolved_fk,
            after[table].resolved_pct,
        )
        assert predicted[table].remainder == remainder[table]


def test_runbook_leaves_the_backfill_unchecked_until_it_runs(deferred_backfill_db):
    with deferred_backfill_db.connect() as connection:
        checks = {check.step: check.done for check in rollout_checks(connection)}
        assert checks["Initial backfill ran on crm_accounts"] is False
        assert checks["Remainder of crm_accounts visible in owner_backfill_errors"] is False
        connection.execute(text("SELECT run_owner_backfill()"))
        checks = {check.step: check.done for check in rollout_checks(connection)}
        assert checks["Initial backfill ran on crm_accounts"] is True
        assert checks["Remainder of crm_accounts visible in owner_backfill_errors"] is True
        assert checks["Coverage of crm_accounts at least 99%"] is False  # 1 of 2: 50%
        assert [row.resolved_pct for row in forecast(connection)] == [Decimal("50.00"), Decimal("100")]
