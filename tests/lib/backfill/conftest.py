"""Databases and reads the backfill tests share."""

import pytest
from sqlalchemy import text

from lib.registry import MIGRATED_TABLES
from tests.crm import unfill


@pytest.fixture
def unfilled_db(demo_db):
    """The demo as if its initial backfill had been deferred: no owner_user_id, no errors."""
    with demo_db.begin() as connection:
        for table in MIGRATED_TABLES:
            unfill(connection, table)
        connection.exec_driver_sql("DELETE FROM owner_backfill_errors")
    return demo_db


def run_row(engine, run_id):
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT * FROM migration_ops.backfill_runs WHERE id = :id"), {"id": run_id}
        ).one()
