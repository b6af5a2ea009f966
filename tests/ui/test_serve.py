"""scripts/console's launcher: the terminal says each step of opening the database before
Streamlit prints the console's URL, and the embedded server stops with the console."""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from lib.db.settings import PROJECT_ROOT
from tests.support.cli import url_of
from tests.support.evidence import forget_snapshots, wait_for_snapshots
from tests.support.proxy import free_ports

STARTUP_SECONDS = 120


@pytest.fixture
def data_dir():
    # Inside the project: as root, the embedded server opens read access on the folders above it.
    folder = PROJECT_ROOT / ".data" / f"serve-{os.getpid()}"
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def serve_until_its_url(data_dir) -> list[str]:
    """What `python -m ui.serve` on the embedded database prints up to and including the line
    with its URL; then it is stopped as a terminal's Ctrl-C would."""
    with serving({"DATABASE_URL": "", "OWNER_CONSOLE_DATA_DIR": str(data_dir)}) as lines:
        return lines


@contextmanager
def serving(settings: dict[str, str]) -> Iterator[list[str]]:
    """`python -m ui.serve` with `settings` in its environment, up until it prints its URL: the
    lines it printed so far. It is stopped, as a terminal's Ctrl-C would, when the block ends."""
    [port] = free_ports(1)
    environment = {**os.environ, **settings}
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.port", str(port), "--server.headless", "true"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watchdog = threading.Timer(STARTUP_SECONDS, process.kill)
    watchdog.start()
    lines = []
    try:
        for line in process.stdout:
            lines.append(line.strip())
            if "URL: http" in line:
                break
        yield [line for line in lines if line]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        watchdog.cancel()


def readme_sample() -> list[str]:
    """The README's sample of the terminal, from the database's first line on: what ui.serve
    prints (the lines before are scripts/venv.sh's)."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    sample = readme.split("```text\n", 1)[1].split("```", 1)[0]
    lines = [line.strip() for line in sample.splitlines() if line.strip()]
    return lines[next(i for i, line in enumerate(lines) if line.startswith("Starting the embedded")) :]


def shapes(lines: list[str]) -> list[str]:
    """Lines with their figures, times, ports and paths left out: what must read the same."""
    shaped = [re.sub(r"(in|on) /\S+", r"\1 PATH", line) for line in lines]
    return [re.sub(r"\d[\d.,:-]*", "N", line) for line in shaped]


@pytest.mark.slow
def test_the_terminal_says_each_step_before_the_url_and_the_server_stops_with_the_console(data_dir):
    first = serve_until_its_url(data_dir)
    steps = [
        f"Starting the embedded PostgreSQL in {data_dir}…",
        "Loading the demo CRM and migrating it to head (first run only)…",
        "Demo CRM loaded: ",
        "Database ready: crm_demo on ",
        "Starting the console…",
        "URL: http://",
    ]
    said = [next((i for i, line in enumerate(first) if line.startswith(step)), None) for step in steps]
    assert None not in said and said == sorted(said), first
    assert not (data_dir / "postmaster.pid").exists(), "the embedded server outlived the console"

    assert shapes(first[said[0] :]) == shapes(readme_sample()), "README.md's sample differs from the terminal"

    again = serve_until_its_url(data_dir)
    assert not any(line.startswith("Loading the demo CRM") for line in again), again
    assert any(line.startswith("Database ready: ") for line in again), again


def test_a_console_that_nobody_visits_takes_the_readiness_evidence(demo_db):
    forget_snapshots(demo_db)
    with serving({"DATABASE_URL": url_of(demo_db)}):
        wait_for_snapshots(demo_db, "a ui.serve that no browser has opened")
