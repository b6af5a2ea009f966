"""The fleet's audit, in the control database: every fleet action, who took it and through what,
and how it ended. The role is checked here, as lib/guard/audit.py checks it for a database's own
actions: viewers see everything and act on nothing."""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from lib.errors import ActionError, Refused
from lib.guard.audit import sentence_of
from lib.guard.identity import OPERATOR, Identity, role_of
from lib.sql import query


@dataclass
class FleetAttempt:
    rollout_id: int | None
    member: str | None
    detail: str = ""


def record_fleet(
    connection: Connection,
    identity: Identity,
    action: str,
    outcome: str,
    *,
    rollout_id: int | None = None,
    member: str | None = None,
    detail: str = "",
    role: str = OPERATOR,
) -> None:
    """One entry, in the caller's transaction."""
    connection.execute(
        query("fleet_audit_insert"),
        {
            "actor": identity.name,
            "actor_source": identity.source,
            "via": identity.via,
            "role": role,
            "action": action,
            "rollout_id": rollout_id,
            "member": member,
            "outcome": outcome,
            "detail": detail or None,
        },
    )


@contextmanager
def fleet_audited(
    control: Engine, identity: Identity, action: str, rollout_id: int | None = None, member: str | None = None
) -> Iterator[FleetAttempt]:
    """Run the block as `identity`'s attempt at the fleet `action`, an operator's only: a refused
    entry for anyone else, and for an operator one entry for how it ended (succeeded, an
    ActionError's outcome with its sentence, or failed)."""
    role = role_of(identity)
    if role != OPERATOR:
        reason = f"{identity} is a viewer; operators are listed in the console's configuration"
        with control.begin() as connection:
            record_fleet(
                connection,
                identity,
                action,
                "refused",
                rollout_id=rollout_id,
                member=member,
                detail=reason,
                role=role,
            )
        raise Refused(f"Refused: {reason}.")
    attempt = FleetAttempt(rollout_id, member)
    try:
        yield attempt
    except ActionError as error:
        with control.begin() as connection:
            record_fleet(
                connection,
                identity,
                action,
                error.outcome,
                rollout_id=attempt.rollout_id,
                member=member,
                detail=str(error),
            )
        raise
    except BaseException as error:
        with suppress(SQLAlchemyError), control.begin() as connection:
            record_fleet(
                connection,
                identity,
                action,
                "failed",
                rollout_id=attempt.rollout_id,
                member=member,
                detail=sentence_of(error),
            )
        raise
    with control.begin() as connection:
        record_fleet(
            connection,
            identity,
            action,
            "succeeded",
            rollout_id=attempt.rollout_id,
            member=member,
            detail=attempt.detail,
        )


def fleet_audit(connection: Connection, limit: int = 100) -> list[dict]:
    return [dict(row) for row in connection.execute(query("fleet_audit"), {"limit": limit}).mappings()]
