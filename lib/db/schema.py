"""Alembic revisions of the CRM schema: where the database stands and moving it."""

from argparse import Namespace

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


def alembic_config(connection: Connection | None = None, *, skip_backfill: bool = False) -> Config:
    """Alembic's configuration; with `connection`, env.py migrates on it instead of the settings."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    if skip_backfill:
        config.cmd_opts = Namespace(x=["skip_backfill=true"])
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, target: str = "head", *, skip_backfill: bool = False) -> None:
    command.upgrade(alembic_config(connection, skip_backfill=skip_backfill), target)


def downgrade(connection: Connection, target: str) -> None:
    command.downgrade(alembic_config(connection), target)


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
