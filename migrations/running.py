"""How each Alembic environment runs its revisions (migrations/env.py for the CRM schema,
migrations/fleet_control/env.py for the fleet's control tables): each revision in its own
transaction, every statement under lock_timeout.

Online, the connection is the one a caller put in `config.attributes["connection"]` (tests, the
demo loader, the fleet's steps), or else one built from the console's settings. Offline (`--sql`),
it only needs the PostgreSQL dialect.
"""

import sys

from sqlalchemy.exc import SQLAlchemyError

from lib.db.database import connection_failure, create_engine_for
from lib.db.embedded import open_embedded_database
from lib.db.settings import configured_database_url
from lib.errors import ActionError, SetupError

# Long enough for a busy table, short enough that queued writers never pile up behind a DDL lock.
LOCK_TIMEOUT = "5s"


def run_revisions(context, **options) -> None:
    """Run the environment's revisions; `options` go to context.configure (a version table)."""
    if context.is_offline_mode():
        try:
            _run_offline(context, options)
        except ActionError as error:  # the contract migration refused its offline SQL
            sys.exit(f"error: {error}")
    else:
        _run_online(context, options)


def _run_offline(context, options: dict) -> None:
    context.configure(
        dialect_name="postgresql", transaction_per_migration=True, literal_binds=True, **options
    )
    context.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    context.run_migrations()


def _run_on(context, connection, options: dict) -> None:
    # Session level, so that it also covers the autocommit blocks (CREATE INDEX CONCURRENTLY).
    connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    connection.commit()
    context.configure(connection=connection, transaction_per_migration=True, **options)
    with context.begin_transaction():
        context.run_migrations()


def _run_online(context, options: dict) -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run_on(context, given, options)
        return
    # From the command line: a sentence on stderr and exit status 1, never a traceback.
    try:
        engine = create_engine_for(configured_database_url() or open_embedded_database())
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            raise SetupError(connection_failure(engine.url, error)) from None
        with connection:
            _run_on(context, connection, options)
    except (SetupError, ActionError) as error:  # ActionError: the contract migration refused
        sys.exit(f"error: {error}")
    except SQLAlchemyError as error:
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        sys.exit(f"error: the migration failed and its transaction was rolled back: {cause}")
