"""A real streaming standby of the test server, made with its own pg_basebackup, for the throttling
tests: whichever server the suite runs on (the embedded 18, Debian's 15), the standby is the same
version, started from the same binaries, as the server's owner."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from lib.db.database import create_engine_for
from lib.db.settings import PROJECT_ROOT
from tests.support.database import admin_connection

SERVER_FACTS = text("""
    SELECT current_setting('data_directory') AS data_directory,
           split_part(current_setting('unix_socket_directories'), ',', 1) AS socket_directory,
           current_setting('port')::int AS port,
           (SELECT setting FROM pg_config WHERE name = 'BINDIR') AS bindir,
           current_user AS superuser
""")


@contextmanager
def streaming_standby(server_url: URL) -> Iterator[Engine]:
    """A hot standby streaming from the server at `server_url`, replying each second (its
    wal_receiver_status_interval) so that its lag is seen soon; an engine on its postgres
    database. Stopped and removed on leaving."""
    with admin_connection(server_url) as admin:
        server = admin.execute(SERVER_FACTS).one()
    owner = Path(server.data_directory).owner()
    bindir = Path(server.bindir)
    standby = PROJECT_ROOT / ".data" / f"standby-{os.getpid()}"
    shutil.rmtree(standby, ignore_errors=True)
    standby.mkdir(mode=0o700, parents=True)
    shutil.chown(standby, owner)

    def as_owner(program: str, *arguments: object) -> None:
        command = [str(bindir / program), *map(str, arguments)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", owner, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    as_owner(
        "pg_basebackup",
        *("-h", server.socket_directory, "-p", server.port, "-U", server.superuser),
        *("-D", standby, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast"),
    )
    # The primary's data folder may hold its socket's lock file (the embedded server's does).
    for lock in standby.glob(".s.PGSQL.*"):
        lock.unlink()
    port = server.port + 1
    with (standby / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = ''\nunix_socket_directories = '{standby}'\n"
            "wal_receiver_status_interval = 1\nhot_standby = on\n"
        )
    as_owner("pg_ctl", "-D", standby, "-l", standby / "log", "-w", "start")
    engine = create_engine_for(
        URL.create(
            "postgresql+psycopg",
            username=server.superuser,
            database="postgres",
            query={"host": str(standby), "port": str(port)},
        )
    )
    try:
        yield engine
    finally:
        engine.dispose()
        as_owner("pg_ctl", "-D", standby, "-m", "immediate", "-w", "stop")
        shutil.rmtree(standby, ignore_errors=True)


PAUSE_REPLAY = text("SELECT pg_wal_replay_pause()")
RESUME_REPLAY = text("SELECT pg_wal_replay_resume()")


def set_replay(standby: Engine, paused: bool) -> None:
    with standby.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(PAUSE_REPLAY if paused else RESUME_REPLAY)
