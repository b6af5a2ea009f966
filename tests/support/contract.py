"""The contract migration applied and its objects read, for the migration and fault tests."""

from argparse import Namespace

from alembic import command
from sqlalchemy import Connection, text

from lib.db.schema import alembic_config
from lib.registry import MIGRATED_TABLES

# Every definition the contract drops and its downgrade restores, as PostgreSQL prints it.
DEFINITIONS = """
SELECT 'trigger ' || t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
FROM pg_trigger AS t WHERE NOT t.tgisinternal AND t.tgrelid = ANY(CAST(:tables AS regclass[]))
UNION ALL
SELECT 'function ' || p.oid::regprocedure, pg_get_functiondef(p.oid)
FROM pg_proc AS p WHERE p.pronamespace IN ('public'::regnamespace, 'migration_ops'::regnamespace)
UNION ALL
SELECT 'view ' || v.viewname, v.definition FROM pg_views AS v WHERE v.schemaname = 'public'
UNION ALL
SELECT 'index ' || i.indexname, i.indexdef
FROM pg_indexes AS i WHERE i.tablename = ANY(CAST(:tables AS name[]))
"""


def owner_data(connection):
    return {
        table: connection.execute(
            text(f"SELECT id, owner_username, owner_user_id FROM {table} ORDER BY id")
        ).all()
        for table in MIGRATED_TABLES
    }


def read_views(connection: Connection) -> dict[str, list]:
    return {
        table: connection.execute(text(f"SELECT * FROM {table}_with_owner ORDER BY id")).all()
        for table in MIGRATED_TABLES
    }


def definitions(connection: Connection) -> dict[str, str]:
    return dict(connection.execute(text(DEFINITIONS), {"tables": list(MIGRATED_TABLES)}).all())


def contract(connection: Connection, override: str = "") -> None:
    # The override reaches the revision as `-x override_readiness=…` does from the command line.
    config = alembic_config(connection, contract=True)
    if override:
        config.cmd_opts = Namespace(x=[f"override_readiness={override}"])
    command.upgrade(config, "head")
