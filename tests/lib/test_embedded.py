"""The embedded server stops when the last process attached to it exits, SIGTERM included."""

import signal
import subprocess
import sys

import pytest

from lib.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / ".data" / "pytest-lifecycle"
# Attaches, says so on stdout, then waits to be signalled.
ATTACH = f"""
import signal
from pathlib import Path
from sqlalchemy import text
from lib.database import create_engine_for
from lib.embedded import start_embedded_server
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
