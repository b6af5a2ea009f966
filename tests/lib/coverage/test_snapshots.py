"""Coverage snapshots: at most one a minute per table, shared across console processes."""

from sqlalchemy import text

from lib.coverage.counts import table_coverage
from lib.coverage.snapshots import snapshot_history, take_due_snapshots


def snapshots(connection):
    return connection.execute(
        text(
            "SELECT entity_type, total_legacy, resolved_fk, resolved_pct "
            "FROM migration_ops.coverage_snapshots"
        )
    ).all()


def test_a_snapshot_records_the_playbook_coverage_once_a_minute(demo_db):
    with demo_db.connect() as connection:
        assert sorted(take_due_snapshots(connection)) == ["crm_accounts", "crm_opportunities"]
        coverage = table_coverage(connection)
        assert sorted(snapshots(connection)) == sorted(
            (row.table, row.total_legacy, row.resolved_fk, row.resolved_pct) for row in coverage
        )
        assert take_due_snapshots(connection) == []
        connection.execute(
            text(
                "UPDATE migration_ops.coverage_snapshots SET taken_at = taken_at - interval '61 seconds' "
                "WHERE entity_type = 'crm_accounts'"
            )
        )
        connection.commit()
        assert take_due_snapshots(connection) == ["crm_accounts"]
        assert len(snapshot_history(connection, hours=1)) == 3


def test_a_second_console_process_does_not_snapshot_the_same_minute(demo_db):
    with demo_db.connect() as first, demo_db.connect() as second:
        first.begin()
        first.execute(text("SELECT pg_advisory_xact_lock(hashtext('owner-console snapshots'))"))
        assert take_due_snapshots(second) == []
        first.rollback()
        assert len(take_due_snapshots(second)) == 2
