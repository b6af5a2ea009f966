"""The append-only audit log: who tried what, with which parameters, when, and how it ended."""

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from lib.db.database import require_storable
from lib.errors import ActionError, Refused
from lib.guard.identity import OPERATOR, Identity, role_of
from lib.remainder.export import copy_csv, write_header
from lib.sql import query
from lib.text import moment

ACTIONS = (
    "backfill",
    "cancel backfill",
    "pause backfill",
    "resume backfill",
    "verify",
    "cancel verify",
    "pause verify",
    "resume verify",
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
TEXT_COLUMNS = COLUMNS[1:]


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


def record(engine: Engine, *entry) -> None:
    """record_in(connection, *entry) in a transaction of its own, so that the entry stays whatever
    the action does next."""
    with engine.begin() as connection:
        record_in(connection, *entry)


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


@dataclass
class Attempt:
    """One audited attempt. The action sets how it ended when it returns normally (`outcome`,
    `detail`, and `parameters` if it has more to say), and may write its started row into its own
    transaction with `started_in`, so that the row is kept exactly when what it started is."""

    identity: Identity
    action: str
    parameters: dict
    outcome: str = "succeeded"
    detail: str = ""

    def started_in(self, connection: Connection, detail: str) -> None:
        record_in(connection, self.identity, OPERATOR, self.action, self.parameters, "started", detail)


@contextmanager
def audited(
    engine: Engine, identity: Identity, action: str, parameters: dict, *, started_row: bool = True
) -> Iterator[Attempt]:
    """Run the block as `identity`'s attempt at `action`: an operator's only, checked here and
    nowhere else. The log gets a `refused` entry for anyone else; for an operator a `started` entry
    (unless the block writes its own, `started_row=False`) and then one for how it ended, whatever
    the exception: an ActionError's outcome with its sentence, or `failed` with the first line of
    any other error, which then goes on up."""
    role = role_of(identity)
    if role != OPERATOR:
        reason = f"{identity} is a viewer; operators are listed in the console's configuration"
        record(engine, identity, role, action, parameters, "refused", reason)
        raise Refused(f"Refused: {reason}.")
    attempt = Attempt(identity, action, parameters)
    if started_row:
        record(engine, identity, OPERATOR, action, parameters, "started")
    try:
        yield attempt
    except ActionError as error:
        record(engine, identity, OPERATOR, action, attempt.parameters, error.outcome, str(error))
        raise
    except BaseException as error:
        # The database may be the cause, and away: the original error matters more than its entry.
        with suppress(SQLAlchemyError):
            record(engine, identity, OPERATOR, action, attempt.parameters, "failed", sentence_of(error))
        raise
    record(engine, identity, OPERATOR, action, attempt.parameters, attempt.outcome, attempt.detail)


def sentence_of(error: BaseException) -> str:
    """An unforeseen error in one line: the database's own message, or the error's type and text."""
    if isinstance(error, SQLAlchemyError) and getattr(error, "orig", None) is not None:
        return str(error.orig).strip().splitlines()[0]
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


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


def write_audit_csv(connection, entries: AuditFilter, out: BinaryIO) -> int:
    write_header(out, COLUMNS)
    return copy_csv(connection, "audit_entries", entries.params(None), out, COLUMNS, TEXT_COLUMNS)
