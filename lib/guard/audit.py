"""The append-only audit log: who tried what, with which parameters, when, and how it ended."""

import json
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import Connection, Engine

from lib.db.database import require_storable
from lib.guard.identity import Identity
from lib.remainder.export import write_rows_csv
from lib.sql import query
from lib.text import moment

ACTIONS = (
    "backfill",
    "cancel backfill",
    "pause backfill",
    "resume backfill",
    "verify",
    "repair drift",
    "disable triggers",
    "enable triggers",
    "add alias",
    "remove alias",
    "import aliases",
    "apply contract migration",
    "psql session",
)
OUTCOMES = ("refused", "started", "succeeded", "failed", "cancelled")
COLUMNS = ("at", "actor", "actor_source", "via", "role", "action", "outcome", "parameters", "detail")


@dataclass(frozen=True)
class AuditFilter:
    actor_contains: str = ""
    actions: tuple[str, ...] = ACTIONS
    outcomes: tuple[str, ...] = OUTCOMES

    def __post_init__(self) -> None:
        require_storable("Actor contains", self.actor_contains)

    def params(self, limit: int | None) -> dict:
        return {
            "actor_contains": self.actor_contains,
            "actions": list(self.actions),
            "outcomes": list(self.outcomes),
            "limit": limit,
        }


def record(
    engine: Engine,
    identity: Identity,
    role: str,
    action: str,
    parameters: dict,
    outcome: str,
    detail: str = "",
) -> None:
    """Write one entry in a transaction of its own, so that it stays whatever the action does next."""
    with engine.begin() as connection:
        record_in(connection, identity, role, action, parameters, outcome, detail)


def record_in(
    connection: Connection,
    identity: Identity,
    role: str,
    action: str,
    parameters: dict,
    outcome: str,
    detail: str = "",
) -> None:
    """Write one entry in the caller's transaction: it is kept exactly when what it records is."""
    connection.execute(
        query("audit_insert"),
        {
            "actor": identity.name,
            "actor_source": identity.source,
            "via": identity.via,
            "role": role,
            "action": action,
            "parameters": json.dumps(parameters, sort_keys=True),
            "outcome": outcome,
            "detail": detail or None,
        },
    )


def audit_entries(connection, entries: AuditFilter, limit: int) -> list[dict]:
    return [dict(row) for row in connection.execute(query("audit_entries"), entries.params(limit)).mappings()]


# The log as a page shows it: the parameters and the detail read as one sentence.
SCREEN_COLUMNS = ("at", "actor", "identified by", "via", "role", "action", "outcome", "what")


def screen_rows(entries: list[dict]) -> list[dict]:
    """Entries as a person reads them: each time in the one format, and what the action touched
    (every parameter, by name) followed by how it ended, in full."""
    return [
        {
            "at": moment(entry["at"]),
            "actor": entry["actor"],
            "identified by": entry["actor_source"],
            "via": entry["via"] or "not recorded",
            "role": entry["role"],
            "action": entry["action"],
            "outcome": entry["outcome"],
            "what": touched(json.loads(entry["parameters"]), entry["detail"]),
        }
        for entry in entries
    ]


def touched(parameters: dict, detail: str | None) -> str:
    """'legacy username: jsmith · user id: 12 · no such alias': an entry's parameters, then its detail."""

    def text(value: object) -> str:
        if isinstance(value, list):
            return ", ".join(map(text, value)) or "none"
        if isinstance(value, dict):
            return ", ".join(f"{key} {text(item)}" for key, item in value.items()) or "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "none" if value is None else str(value)

    parts = [f"{name.replace('_', ' ')}: {text(value)}" for name, value in parameters.items()]
    return " · ".join([*parts, *([detail] if detail else [])]) or "—"


def write_audit_csv(connection, entries: AuditFilter, out: TextIO) -> int:
    rows = connection.execute(query("audit_entries"), entries.params(None))
    return write_rows_csv(out, COLUMNS, rows)
