"""The fleet's control database: the console's own (DATABASE_URL, or the embedded one), holding
the rollouts, the fleet's audit and the task queue's tables, migrated by Alembic's fleet_control
section (migrations/fleet_control/) apart from the CRM schema."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from lib.db.database import connection_failure, create_engine_for, is_connection_problem
from lib.db.embedded import open_embedded_database
from lib.db.session_lock import session_lock
from lib.db.settings import PROJECT_ROOT, configured_database_url
from lib.errors import SetupError

CONTROL_SECTION = "fleet_control"
MIGRATE_WAIT_MS = 30_000


def control_engine() -> Engine:
    """An engine on the control database, its fleet_control revisions applied."""
    engine = create_engine_for(configured_database_url() or open_embedded_database())
    migrate_control(engine)
    return engine


def migrate_control(engine: Engine) -> None:
    """Apply the control database's revisions: a no-op once they are."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"), ini_section=CONTROL_SECTION)
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations" / CONTROL_SECTION))
    try:
        # Two processes starting at once (a console and a worker) apply them one after the other.
        with session_lock(engine, "owner-console fleet-control", MIGRATE_WAIT_MS) as held:
            if not held:
                raise SetupError(
                    "The fleet's control database is being migrated by another process; try again."
                )
            with engine.connect() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
    except SQLAlchemyError as error:
        if not is_connection_problem(error):
            raise
        raise SetupError(f"The fleet's control database: {connection_failure(engine.url, error)}") from None
