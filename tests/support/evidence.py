"""The readiness evidence that the background jobs keep: a coverage snapshot per migrated table."""

from sqlalchemy import Engine, text

from lib.registry import MIGRATED_TABLES
from tests.support.polling import wait_for


def forget_snapshots(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM migration_ops.coverage_snapshots"))


def wait_for_snapshots(engine: Engine, taken_by: str) -> None:
    """Until every migrated table has a snapshot again: the jobs of `taken_by` took them."""

    def snapshotted() -> set[str]:
        with engine.connect() as connection:
            return set(
                connection.execute(
                    text("SELECT DISTINCT entity_type FROM migration_ops.coverage_snapshots")
                ).scalars()
            )

    wait_for(lambda: snapshotted() == set(MIGRATED_TABLES), f"{taken_by} to take the coverage snapshots")
