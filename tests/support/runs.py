"""Reads of the console's runs tables: backfill runs and verify runs."""

from sqlalchemy import text


def run_row(engine, run_id):
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT * FROM migration_ops.backfill_runs WHERE id = :id"), {"id": run_id}
        ).one()


def latest_verify(engine):
    """The newest row of migration_ops.verify_runs, or None."""
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT * FROM migration_ops.verify_runs ORDER BY id DESC LIMIT 1")
        ).one_or_none()
