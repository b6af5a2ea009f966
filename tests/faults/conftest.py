"""The fault suite: its scale, a database whose backfill is still to run, and the figures that
docs/RELIABILITY.md reports, printed at the end of the run.

FAULT_SCALE multiplies the data and the writes (1 in CI; `./scripts/faults --scale 20` for the
large run). FAULT_SEED fixes the random kill points and writes, to replay a failure.
"""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text

from lib.demo.generator import load_demo
from tests.support.database import admin_connection, build_template, clone
from tests.support.faults import FIGURES, SCALE, SEED, record

PENDING_TEMPLATE = "template_pending"
PENDING_ACCOUNTS, PENDING_OPPORTUNITIES = round(600 * SCALE), round(1_500 * SCALE)


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section(f"fault figures (scale {SCALE:g}, seed {SEED})")
    for figure, value in FIGURES.items():
        terminalreporter.write_line(f"{figure:<64}{value}")


@pytest.fixture
def rng() -> random.Random:
    return random.Random(SEED)


@pytest.fixture(scope="session")
def pending_template(server_url) -> str:
    """The demo CRM migrated with -x skip_backfill=true: every owner_user_id still to fill."""
    with admin_connection(server_url) as admin:
        record("PostgreSQL server", admin.execute(text("SHOW server_version")).scalar_one())
    build_template(
        server_url,
        PENDING_TEMPLATE,
        lambda connection: load_demo(connection, PENDING_ACCOUNTS, PENDING_OPPORTUNITIES, skip_backfill=True),
    )
    return PENDING_TEMPLATE


@pytest.fixture
def pending_clones(server_url, pending_template) -> Callable[[], Iterator[Engine]]:
    """A factory of fresh clones of the pending template, each dropped when its block ends."""
    return contextmanager(lambda: clone(server_url, pending_template))


@pytest.fixture
def pending_db(pending_clones) -> Iterator[Engine]:
    with pending_clones() as engine:
        yield engine
