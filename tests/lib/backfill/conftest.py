"""Databases and reads the backfill tests share."""

import pytest

from lib.registry import MIGRATED_TABLES
from tests.support.crm import unfill


@pytest.fixture
def unfilled_db(demo_db):
    """The demo as if its initial backfill had been deferred: no owner_user_id, no errors."""
    with demo_db.begin() as connection:
        for table in MIGRATED_TABLES:
            unfill(connection, table)
        connection.exec_driver_sql("DELETE FROM owner_backfill_errors")
    return demo_db
