"""A demo fleet (`./scripts/console --fleet-demo N`): N members on two embedded servers, the
console's own and a second one, each at a different point of the migration, and its fleet file.

The members take turns through these states, in waves of two after the canary:
- done: migrated and backfilled, the owners that no rule can find cleared, so at 100%;
- drift: migrated and backfilled, with a row whose owner_user_id was changed behind the triggers;
- behind: the CRM before the migration, at the baseline revision;
- unfilled: migrated with its initial backfill left for later, at 0%.
"""

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from lib.db.database import create_engine_for, recreate_database
from lib.db.embedded import start_embedded_server
from lib.db.settings import embedded_data_dir
from lib.demo.generator import load_demo
from lib.registry import MIGRATED_TABLES
from lib.sql import identifier

STATES = ("done", "drift", "behind", "unfilled")
ACCOUNTS, OPPORTUNITIES = 2_000, 6_000


def _done(connection: Connection) -> None:
    load_demo(connection, ACCOUNTS, OPPORTUNITIES)
    # Through the triggers, as an application would: their error rows go with the owners.
    for table in MIGRATED_TABLES:
        connection.execute(
            text(
                f"UPDATE {identifier(table)} SET owner_username = NULL WHERE id IN "
                "(SELECT entity_id FROM owner_backfill_errors WHERE entity_type = :table)"
            ),
            {"table": table},
        )
    connection.commit()


def _drift(connection: Connection) -> None:
    load_demo(connection, ACCOUNTS, OPPORTUNITIES)
    # A write behind the triggers, as the backfill's own writes go: verify finds it.
    connection.execute(text("SELECT migration_ops.stand_owner_triggers_aside()"))
    connection.execute(
        text(
            "UPDATE crm_accounts SET owner_user_id = (SELECT max(id) FROM app_users) "
            "WHERE id = (SELECT min(id) FROM crm_accounts WHERE owner_user_id IS NOT NULL "
            "AND owner_user_id <> (SELECT max(id) FROM app_users))"
        )
    )
    connection.commit()


BUILDERS: dict[str, Callable[[Connection], None]] = {
    "done": _done,
    "drift": _drift,
    "behind": lambda connection: load_demo(connection, ACCOUNTS, OPPORTUNITIES, migrate=False),
    "unfilled": lambda connection: load_demo(connection, ACCOUNTS, OPPORTUNITIES, skip_backfill=True),
}


def build_demo_fleet(
    count: int,
    say: Callable[[str], None] = lambda line: None,
    servers: tuple[URL, ...] | None = None,
    fleet_file: Path | None = None,
) -> Path:
    """Create the N member databases afresh, in turn on each of `servers` (the embedded server and a
    second one beside it by default), and write their fleet file (beside the data folder by
    default); its path."""
    if count < 1:
        raise ValueError("a demo fleet has at least one member")
    home = embedded_data_dir()
    servers = servers or (
        start_embedded_server(),
        start_embedded_server(home.parent / f"{home.name}-fleet-2"),
    )
    lines = []
    for number in range(count):
        state = STATES[number % len(STATES)]
        name = f"demo-{number + 1}"
        server = servers[number % len(servers)]
        say(f"Building fleet member {name} ({state}) on {server.query.get('host')}…")
        engine = create_engine_for(recreate_database(server, f"crm_fleet_{number + 1}"))
        try:
            with engine.connect() as connection:
                BUILDERS[state](connection)
        finally:
            engine.dispose()
        url = server.set(database=f"crm_fleet_{number + 1}", drivername="postgresql", password=None)
        wave = 0 if number == 0 else (number + 1) // 2
        lines.append(
            f'[[member]]\nname = "{name}"\nurl = "{url.render_as_string(hide_password=False)}"\n'
            f'wave = {wave}\ntags = ["demo", "{state}"]\n'
        )
    path = fleet_file or home.parent / "fleet-demo.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
