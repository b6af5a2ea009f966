"""The dry run of a backfill: what a run now would leave, by the same resolution rule, without
writing. Preflight, the runbook, alias previews, the Overview and the CLI all read it."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection

from lib.registry import MIGRATED_TABLES
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
    for table in MIGRATED_TABLES:
        *figures, remainder = connection.execute(query("forecast", table), {"table": table}).one()
        forecasts.append(Forecast(table, *figures, remainder=dict(sorted(remainder.items()))))
    return forecasts
