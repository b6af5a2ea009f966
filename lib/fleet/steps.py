"""A member's steps in a rollout, run as one task of the queue (one per member at a time): migrate
its schema to head, backfill it, verify it. Each acts on the member exactly as its own console
would, as the person who started the rollout and through the same guards, and its audit entries
name the rollout.

A step already done in the member's current attempt is not done again, so a task that runs again
after its worker died goes on from the step it was in: a backfill killed mid-run resumes its own
run, as the runner resumes any run whose process died.
"""

import threading
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from lib.backfill.task import RunOptions
from lib.db.database import connection_failure, create_engine_for, is_connection_problem
from lib.db.schema import current_revision, head_revision, upgrade
from lib.errors import ActionError, Refused, SetupError
from lib.fleet.rollout import (
    IN_STEPS,
    Queue,
    advance,
    fail_member,
    locked_rollout,
    members_of,
    rollout_members,
    set_member,
)
from lib.guard.actions import start_backfill, verify
from lib.guard.audit import record, sentence_of
from lib.guard.identity import OPERATOR, Identity, role_of
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import throttle_settings
from lib.sql import query

# Alembic's `context` and `op` are module globals: two upgrades in threads of one process would
# share them. A worker migrates one member at a time; its backfills and verifies run side by side.
ONE_ALEMBIC_AT_A_TIME = threading.Lock()


class StepStopped(Exception):
    """The step ended without finishing: its run was cancelled, by the rollout or by an operator."""


def migrate(engine: Engine, identity: Identity, rollout_id: int) -> dict:
    """Alembic to head, its initial backfill left to the backfill step (which is throttled and can
    be paused); audited on the member once its audit table exists."""
    if role_of(identity) != OPERATOR:
        raise Refused(
            f"Refused: {identity} is a viewer; operators are listed in the console's configuration."
        )
    with engine.connect() as connection:
        before = current_revision(connection)
        head = head_revision()
        if before == head:
            return {}
        connection.rollback()  # the revisions run each in a transaction of their own
        with ONE_ALEMBIC_AT_A_TIME:
            upgrade(connection, skip_backfill=True)
    record(
        engine,
        identity,
        OPERATOR,
        "migrate",
        {"from": before, "to": head, "rollout": rollout_id},
        "succeeded",
        f"from {before or 'nothing'} to {head}",
    )
    return {}


def backfill(engine: Engine, identity: Identity, rollout_id: int) -> dict:
    outcome = start_backfill(
        engine,
        identity,
        BatchSettings(),
        options=RunOptions(throttle=throttle_settings()),
        rollout=rollout_id,
    )
    if outcome.status == "cancelled":
        raise StepStopped(f"backfill run {outcome.run_id} was cancelled")
    if outcome.status != "succeeded":
        raise SetupError(
            f"backfill run {outcome.run_id} {outcome.status}: {_run_error(engine, outcome.run_id)}"
        )
    return {"backfill_run": outcome.run_id}


def verify_drift(engine: Engine, identity: Identity, rollout_id: int) -> dict:
    """A fresh verify; drift does not fail the step, it holds the member at its verify gate."""
    outcome = verify(
        engine, identity, BatchSettings(), fresh=True, throttle=throttle_settings(), rollout=rollout_id
    )
    if outcome.status == "cancelled":
        raise StepStopped(f"verify run {outcome.run_id} was cancelled")
    return {"verify_run": outcome.run_id}


# Each step, the member's state while it runs, and what it does.
STEPS: dict[str, tuple[str, Callable[[Engine, Identity, int], dict]]] = {
    "migrate": ("migrating", migrate),
    "backfill": ("backfilling", backfill),
    "verify": ("verifying", verify_drift),
}


def run_member_steps(control: Engine, rollout_id: int, name: str, queue: Queue) -> None:
    """The task: the member's steps not yet done in its attempt, then its gates are looked at."""
    with control.begin() as connection:
        rollout = locked_rollout(connection, rollout_id)
        row = next(row for row in rollout_members(connection, rollout_id) if row.member == name)
    if rollout.status != "running" or row.state not in IN_STEPS:
        return  # paused, halted or over; or this task ran before, and its member has moved on
    member = members_of(rollout).get(name)
    if member is None:
        fail_member(control, rollout, name, f"no member named {name} is in {rollout.fleet_file} any more.")
        return
    try:
        engine = create_engine_for(member.url(), poolclass=NullPool)
    except SetupError as error:
        fail_member(control, rollout, name, str(error))
        return
    try:
        for step, (state, act) in STEPS.items():
            if step in row.steps_done:
                continue
            with control.begin() as connection:
                if locked_rollout(connection, rollout_id).status != "running":
                    set_member(connection, rollout_id, name, "queued")  # resume queues it again
                    return
                set_member(connection, rollout_id, name, state)
            recorded = act(engine, rollout.identity, rollout_id)
            last = step == list(STEPS)[-1]
            with control.begin() as connection:
                set_member(
                    connection,
                    rollout_id,
                    name,
                    "gating" if last else state,
                    step_done=step,
                    stepped=last,
                    **recorded,
                )
    except StepStopped as stopped:
        with control.begin() as connection:
            set_member(connection, rollout_id, name, "cancelled", f"{stopped}.")
    except (ActionError, SetupError) as error:
        fail_member(control, rollout, name, f"{step}: {error}")
    except SQLAlchemyError as error:
        said = connection_failure(engine.url, error) if is_connection_problem(error) else sentence_of(error)
        fail_member(control, rollout, name, f"{step}: {said}")
    finally:
        engine.dispose()
    # At once, in this task: a free slot of the wave goes to the next member without waiting for
    # the rollout's next look. The rollout's row lock keeps it one look at a time.
    advance(control, rollout_id, queue)


def _run_error(engine: Engine, run_id: int) -> str:
    with engine.connect() as connection:
        row = connection.execute(query("backfill_run"), {"id": run_id}).one()
    return row.error_message or "see its run on the member's Backfill page"
