"""The sync and log triggers of every migrated table, and their state in pg_trigger."""

from dataclasses import dataclass

from sqlalchemy import Connection

from lib.registry import MIGRATED_TABLES
from lib.sql import query

TRIGGER_KINDS = ("sync", "log")
# pg_trigger.tgenabled: only O and A fire for the application's ordinary sessions.
STATE_BY_CODE = {"O": "enabled", "A": "enabled", "D": "disabled", "R": "replica only"}


@dataclass(frozen=True)
class TriggerState:
    table: str
    kind: str
    name: str
    state: str  # enabled, disabled, replica only, or missing

    @property
    def enabled(self) -> bool:
        return self.state == "enabled"


def trigger_name(table: str, kind: str) -> str:
    return f"{table}_owner_{kind}_guard"


def trigger_states(connection: Connection) -> list[TriggerState]:
    expected = [
        (table, kind, trigger_name(table, kind)) for table in MIGRATED_TABLES for kind in TRIGGER_KINDS
    ]
    found = {
        row.trigger_name: STATE_BY_CODE.get(row.enabled_code, row.enabled_code)
        for row in connection.execute(
            query("trigger_state"), {"trigger_names": [name for _, _, name in expected]}
        )
    }
    return [TriggerState(table, kind, name, found.get(name, "missing")) for table, kind, name in expected]


def rollback_sql(statement: str = "DISABLE") -> str:
    """The playbook's rollback step 3 (or, with ENABLE, its undoing) for every owner trigger."""
    return "\n".join(
        f"ALTER TABLE {table} {statement} TRIGGER {trigger_name(table, kind)};"
        for table in MIGRATED_TABLES
        for kind in TRIGGER_KINDS
    )
