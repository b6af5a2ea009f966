"""Run the console's commands as a separate process would, with DATABASE_URL set."""

import os
import subprocess
import sys

from lib.db.settings import PROJECT_ROOT


def cli(*args: str, database_url: str) -> subprocess.CompletedProcess:
    return python_module("lib.cli", *args, database_url=database_url)


def python_module(module: str, *args: str, database_url: str) -> subprocess.CompletedProcess:
    """`python -m MODULE ARGS` from the project root with DATABASE_URL set; its output captured."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)
