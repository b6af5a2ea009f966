"""Alembic revisions of the CRM schema: where the database stands and moving it."""

from argparse import Namespace
from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from lib.db.database import connection_failure
from lib.db.settings import PROJECT_ROOT, describe_url
from lib.errors import SetupError

BASELINE_REVISION = "0037_crm_baseline"
OWNER_MIGRATION_REVISION = "0038_owner_user_fk_migration"
# The contract migration (migrations/contract/), reached only through alembic.ini's [contract]
# section: once it is applied, the legacy column is gone and the console has nothing to watch.
CONTRACT_REVISION = "contract_owner_username"
# Commands as a person pastes them into a fresh shell in the project's folder: the project's own
# .venv, no activated environment. The CLI, then the contract migration's apply (after the
# readiness gates) and roll-back.
CLI = ".venv/bin/python -m lib.cli"
CONTRACT_ALEMBIC = ".venv/bin/alembic -n contract"
APPLY_CONTRACT = f"{CLI} readiness\n{CONTRACT_ALEMBIC} upgrade head"
ROLL_BACK_CONTRACT = f"{CONTRACT_ALEMBIC} downgrade -1"


def alembic_config(
    connection: Connection | None = None, *, skip_backfill: bool = False, contract: bool = False
) -> Config:
    """Alembic's configuration; with `connection`, env.py migrates on it instead of the settings;
    with `contract`, the contract migration is among the revisions."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"), ini_section="contract" if contract else "alembic")
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    if skip_backfill:
        config.cmd_opts = Namespace(x=["skip_backfill=true"])
    return config


@cache
def head_revision() -> str:
    """The newest revision this console knows: read once, as the revisions ship with the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(
    connection: Connection, target: str = "head", *, skip_backfill: bool = False, contract: bool = False
) -> None:
    command.upgrade(alembic_config(connection, skip_backfill=skip_backfill, contract=contract), target)


def downgrade(connection: Connection, target: str, *, contract: bool = False) -> None:
    command.downgrade(alembic_config(connection, contract=contract), target)


def migration_finished(where: str) -> SetupError:
    return SetupError(
        f"The database {where} has had its contract migration: owner_username is gone and the "
        "migration is finished, so the console has nothing left to watch. "
        f"To go back, run `{ROLL_BACK_CONTRACT}`."
    )


def require_current_schema(engine: Engine) -> str:
    """The database's revision when it is at head; otherwise a SetupError saying what to run."""
    where = describe_url(engine.url)
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
    except SQLAlchemyError as error:
        raise SetupError(connection_failure(engine.url, error)) from None
    head = head_revision()
    if current == head:
        return current
    if current is None:
        raise SetupError(
            f"The database {where} has not been migrated: run `alembic upgrade head` "
            f"(a database that already holds the CRM tables runs `alembic stamp {BASELINE_REVISION}` first)."
        )
    if current == CONTRACT_REVISION:
        raise migration_finished(where)
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current not in known:
        raise SetupError(
            f"The database {where} is at revision {current}, which this console does not know; "
            "it was migrated by another version of the console."
        )
    raise SetupError(
        f"The database {where} is at revision {current}, but this console needs {head}: "
        "run `alembic upgrade head`."
    )
