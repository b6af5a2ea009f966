"""Small helpers that write and read the CRM tables the way an API client would."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.dialects import postgresql

from lib.db.settings import PROJECT_ROOT
from lib.guard.identity import local_identity
from lib.registry import MIGRATED_TABLES
from tests.support.site import set_site_setting

_quote = postgresql.dialect().identifier_preparer.quote

UNRESOLVED_ROWS = " UNION ALL ".join(
    f"SELECT '{table}' AS entity_type, id AS entity_id FROM {_quote(table)} "
    "WHERE owner_user_id IS NULL AND owner_username IS NOT NULL AND btrim(owner_username) <> ''"
    for table in MIGRATED_TABLES
)


def add_user(connection: Connection, username: str, is_active: bool = True) -> int:
    return connection.execute(
        text("INSERT INTO app_users (username, is_active) VALUES (:username, :active) RETURNING id"),
        {"username": username, "active": is_active},
    ).scalar_one()


def add_alias_in_sql(connection: Connection, legacy_username: str, user_id: int) -> None:
    """An alias written straight into its table, in a batch of its own, as psql would write it."""
    batch = connection.execute(
        text("INSERT INTO migration_ops.alias_batches (created_by, source) VALUES ('t', 'cli') RETURNING id")
    ).scalar_one()
    connection.execute(
        text(
            "INSERT INTO migration_ops.owner_username_aliases "
            "(legacy_username, user_id, batch_id, created_by) VALUES (:legacy, :user_id, :batch, 't')"
        ),
        {"legacy": legacy_username, "user_id": user_id, "batch": batch},
    )


def insert_row(connection: Connection, table: str, **owner) -> int:
    """Insert into `table` with only the owner columns given (owner_username, owner_user_id)."""
    values = dict(owner, name="row")
    if table == "crm_opportunities":
        values["account_id"] = connection.execute(
            text("INSERT INTO crm_accounts (name) VALUES ('parent') RETURNING id")
        ).scalar_one()
    columns = ", ".join(values)
    placeholders = ", ".join(f":{column}" for column in values)
    return connection.execute(
        text(f"INSERT INTO {_quote(table)} ({columns}) VALUES ({placeholders}) RETURNING id"), values
    ).scalar_one()


def update_row(connection: Connection, table: str, row_id: int, **changes) -> None:
    assignments = ", ".join(f"{column} = :{column}" for column in changes)
    connection.execute(
        text(f"UPDATE {_quote(table)} SET {assignments} WHERE id = :row_id"), dict(changes, row_id=row_id)
    )


def delete_row(connection: Connection, table: str, row_id: int) -> None:
    connection.execute(text(f"DELETE FROM {_quote(table)} WHERE id = :row_id"), {"row_id": row_id})


def owner_of(connection: Connection, table: str, row_id: int) -> tuple[str | None, int | None]:
    """(owner_username, owner_user_id) as stored."""
    return tuple(
        connection.execute(
            text(f"SELECT owner_username, owner_user_id FROM {_quote(table)} WHERE id = :id"), {"id": row_id}
        ).one()
    )


def error_rows(connection: Connection) -> dict[tuple[str, int], tuple[str, str]]:
    """owner_backfill_errors as {(entity_type, entity_id): (owner_username, reason)}."""
    rows = connection.execute(
        text("SELECT entity_type, entity_id, owner_username, reason FROM owner_backfill_errors")
    )
    return {(row.entity_type, row.entity_id): (row.owner_username, row.reason) for row in rows}


def unresolved_rows(connection: Connection) -> set[tuple[str, int]]:
    """The coverage denominator's rows without an owner_user_id, across migrated tables."""
    return {tuple(row) for row in connection.execute(text(UNRESOLVED_ROWS))}


def resolve(connection: Connection, username: str | None):
    return connection.execute(
        text("SELECT user_id, match_kind, reason FROM resolve_owner_username(:username)"),
        {"username": username},
    ).one()


@contextmanager
def owner_triggers_off(connection: Connection, table: str) -> Iterator[None]:
    """The playbook's rollback step 3 for `table`: its sync and log triggers off, by name, so that
    writes go behind them. The kept coverage counts still follow every write."""
    for trigger in ("sync", "log"):
        connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_owner_{trigger}_guard")
    yield
    for trigger in ("sync", "log"):
        connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {table}_owner_{trigger}_guard")


def unfill(connection: Connection, table: str) -> None:
    """Every row of `table` back to no owner_user_id, as a deferred initial backfill leaves it:
    written the way a backfill writes, so that no trigger syncs, logs or remembers it."""
    connection.execute(text("SELECT migration_ops.stand_owner_triggers_aside()"))
    connection.execute(text(f"UPDATE {_quote(table)} SET owner_user_id = NULL"))
    connection.execute(text("SELECT set_config('owner_migration.backfill', '', true)"))


def owner_state(engine: Engine) -> tuple[dict[str, list], dict[tuple[str, int], tuple[str, str]]]:
    """Every migrated row's (id, owner_username, owner_user_id) per table, and the errors table."""
    with engine.connect() as connection:
        return _owners(connection), error_rows(connection)


def state_after_a_clean_run(engine: Engine) -> tuple[dict[str, list], dict[tuple[str, int], tuple[str, str]]]:
    """What the one-statement backfill leaves, computed and rolled back."""
    with engine.connect() as connection:
        connection.execute(text("SELECT run_owner_backfill()"))
        state = _owners(connection), error_rows(connection)
        connection.rollback()
    return state


def cli_backfill(engine: Engine, *args: str) -> subprocess.Popen:
    """`python -m lib.cli backfill ARGS` on `engine`'s database, run by a listed local operator,
    its batch size fixed: the tests that start one count or kill its batches."""
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    return subprocess.Popen(
        [sys.executable, "-m", "lib.cli", "backfill", "--target-batch-ms", "0", *args],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _owners(connection: Connection) -> dict[str, list]:
    return {
        table: connection.execute(
            text(f"SELECT id, owner_username, owner_user_id FROM {_quote(table)} ORDER BY id")
        ).all()
        for table in MIGRATED_TABLES
    }


def unresolved_accounts(connection: Connection, rows: int) -> None:
    """`rows` accounts whose formula-looking owners nobody has, each with its error row."""
    with owner_triggers_off(connection, "crm_accounts"):
        connection.execute(
            text(
                "INSERT INTO crm_accounts (name, owner_username) SELECT 'acct ' || n, '=ghost' || n "
                "FROM generate_series(1, :rows) AS n"
            ),
            {"rows": rows},
        )
        connection.execute(
            text(
                "INSERT INTO owner_backfill_errors (entity_type, entity_id, owner_username, reason) "
                "SELECT 'crm_accounts', id, owner_username, 'user_not_found' FROM crm_accounts"
            )
        )


def behind_the_triggers(connection: Connection, sql: str, **parameters) -> None:
    """A write that no owner trigger sees or remembers, as the backfill's own writes go: how drift
    gets in (tests/faults/test_bypass.py gets it in the ways a client can)."""
    connection.execute(text("SELECT migration_ops.stand_owner_triggers_aside()"))
    connection.execute(text(sql), parameters)
    connection.execute(text("SELECT set_config('owner_migration.backfill', '', true)"))
