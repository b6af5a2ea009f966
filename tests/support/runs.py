"""Reads of the console's runs tables."""

from sqlalchemy import text


def run_row(engine, run_id):
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT * FROM migration_ops.backfill_runs WHERE id = :id"), {"id": run_id}
        ).one()
