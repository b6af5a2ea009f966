"""How the console opens its database: the configured one as it stands, or the embedded demo."""

from collections.abc import Callable

from sqlalchemy import Engine

from lib.db.database import check_reachable, create_engine_for
from lib.db.embedded import open_embedded_database
from lib.db.schema import current_revision, require_current_schema
from lib.db.settings import configured_database_url, describe_url, embedded_data_dir
from lib.demo.generator import ensure_demo_loaded


def open_console_database(say: Callable[[str], None] = lambda line: None) -> Engine:
    """An engine on a database at head, or a SetupError saying what to fix; say(line) tells each
    step as it starts, for a terminal to show.

    A configured database is never migrated nor loaded with demo data by the console.
    """
    configured = configured_database_url()
    if configured is not None:
        engine = create_engine_for(configured)
        say(f"Checking {describe_url(engine.url)} (DATABASE_URL): the console never migrates it.")
        check_reachable(engine)
        require_current_schema(engine)
    else:
        say(f"Starting the embedded PostgreSQL in {embedded_data_dir()}…")
        engine = create_engine_for(open_embedded_database())
        ensure_demo_loaded(engine, say)
    with engine.connect() as connection:
        say(f"Database ready: {describe_url(engine.url)} at revision {current_revision(connection)}.")
    return engine
