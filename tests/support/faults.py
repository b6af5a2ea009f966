"""The fault suite's scale and seed, the figures it reports, and what it asks of backends."""

import os

from sqlalchemy import Connection, text

SCALE = float(os.environ.get("FAULT_SCALE", "1"))
SEED = int(os.environ.get("FAULT_SEED", "20261124"))
FIGURES: dict[str, str] = {}


def record(figure: str, value: object) -> None:
    """One line of the fault suite's report, e.g. record("R1 kills survived", "20 of 20")."""
    FIGURES[figure] = str(value)


def backend_pid(connection: Connection) -> int:
    return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def waiting_on(connection: Connection, holder_pid: int) -> bool:
    """Whether some backend waits on a lock that the backend `holder_pid` holds."""
    waiting = connection.execute(
        text("SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"),
        {"holder": holder_pid},
    ).scalar_one()
    connection.rollback()
    return waiting > 0
