"""The dry run of a backfill: what a run now would leave, by the same resolution rule, without
writing. Preflight, the runbook, alias previews, the Overview and the CLI all read it."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection

from lib.coverage.counts import table_coverage
from lib.sql import query


@dataclass(frozen=True)
class Forecast:
    """What a backfill run now would leave: the step-3 figures after it, and the remainder."""

    table: str
    total_legacy: int
    resolved_fk: int
    resolved_pct: Decimal
    newly_resolved: int
    remainder: dict[str, int] = field(default_factory=dict)


def forecast(connection: Connection) -> list[Forecast]:
    forecasts = []
    for as_is in table_coverage(connection):
        *figures, remainder = connection.execute(
            query("forecast", as_is.table),
            {"total_legacy": as_is.total_legacy, "resolved_fk": as_is.resolved_fk},
        ).one()
        forecasts.append(Forecast(as_is.table, *figures, remainder=dict(sorted(remainder.items()))))
    return forecasts
