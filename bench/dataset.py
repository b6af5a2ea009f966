"""The benchmark CRM: the demo's defect mix at production scale, in a template database.

At scale 1.0: 2M accounts, 5M opportunities and 100k users, copied in with COPY. The owner
migration is applied with its backfill deferred, so every owner_user_id is empty and each copy of
the template has the whole backfill ahead of it.
"""

import time
from dataclasses import dataclass

from sqlalchemy.engine import URL

from lib.db.database import create_engine_for, recreate_database
from lib.demo.generator import load_demo

TEMPLATE = "bench_template"
FULL_ACCOUNTS, FULL_OPPORTUNITIES, FULL_USERS = 2_000_000, 5_000_000, 100_000


@dataclass(frozen=True)
class Dataset:
    accounts: int
    opportunities: int
    users: int
    load_seconds: float
    migrate_seconds: float

    @property
    def rows(self) -> int:
        return self.accounts + self.opportunities


def build_template(server: URL, scale: float) -> Dataset:
    """(Re)create the template database at `scale` and fill it."""
    accounts = max(1_000, round(FULL_ACCOUNTS * scale))
    opportunities = max(1_000, round(FULL_OPPORTUNITIES * scale))
    users = max(60, round(FULL_USERS * scale))
    engine = create_engine_for(recreate_database(server, TEMPLATE))
    with engine.connect() as connection:
        report = load_demo(connection, accounts, opportunities, user_count=users, skip_backfill=True)
    started = time.perf_counter()
    # Visibility map and statistics, as autovacuum would leave them on a settled database.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE)")
    engine.dispose()
    return Dataset(
        accounts,
        opportunities,
        report.users,
        report.load_seconds,
        report.migrate_seconds + time.perf_counter() - started,
    )


def copy_of_template(server: URL, name: str) -> URL:
    """A fresh database cloned from the template: identical data, identical physical layout."""
    return recreate_database(server, name, template=TEMPLATE)
