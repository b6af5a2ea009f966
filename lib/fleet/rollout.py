"""Rollouts in waves (docs/fleet.md, Rollouts): their state in the control database, the operator's
steps on them, and `advance`, the task that moves one on.

A rollout takes the fleet wave by wave, the canary (wave 0) first. In the wave under way, up to
its concurrency (and the fleet's backfill cap) of members run their steps at once, each as a task
of the queue (lib/fleet/steps.py); a member whose steps are done waits at its gates
(lib/fleet/gates.py), and passes once they all hold. The next wave starts when every member of
the one before has passed or been skipped. A member that fails halts the rollout: the operator
retries it, or skips it with a reason.

The control database is the truth, and every task is idempotent over it: a task that runs twice,
or again after its worker died, finds what is already done and does not do it again.
"""

import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from lib.db.database import connection_failure, create_engine_for
from lib.errors import ActionError, Busy, NothingToDo, SettingError
from lib.fleet.audit import fleet_audited, record_fleet
from lib.fleet.gates import first_failing, member_gates
from lib.fleet.members import Member, load_fleet
from lib.fleet.plan import Plan
from lib.guard.actions import steer_job
from lib.guard.identity import Identity
from lib.sql import query
from lib.text import counted

OPEN = ("running", "paused", "halted")
# A member's states while its steps are under way, in the order it goes through them.
IN_STEPS = ("queued", "migrating", "backfilling", "verifying")
DONE = ("passed", "skipped")
# How often a running rollout looks again at its gates and its members.
ADVANCE_EVERY_SECONDS = 1.0


class Queue(Protocol):
    """The task queue, as a rollout uses it (lib/fleet/queue.py)."""

    def advance(self, rollout_id: int, delay_seconds: float = 0) -> None:
        """Have `advance` run for the rollout, after `delay_seconds`; once, however often asked."""

    def run_steps(self, rollout_id: int, member: str) -> None:
        """Have the member's steps run, one task per member at a time."""

    def has_steps(self, member: str) -> bool:
        """Whether a task of the member's steps is queued or running."""


class RolloutOpen(Busy):
    """Another rollout is open: one at a time."""

    outcome = "refused"


@dataclass(frozen=True)
class Rollout:
    id: int
    status: str
    plan: Plan
    fleet_file: Path
    started_by: str
    actor_source: str
    via: str
    started_at: datetime
    finished_at: datetime | None
    waiting_on: str | None

    @property
    def identity(self) -> Identity:
        """Who started it: its tasks act as them, through the same guards."""
        return Identity(self.started_by, self.actor_source, self.via)

    @classmethod
    def of(cls, row) -> "Rollout":
        plan = row.plan if isinstance(row.plan, dict) else json.loads(row.plan)
        return cls(
            row.id,
            row.status,
            Plan.from_json(plan),
            Path(row.fleet_file),
            row.started_by,
            row.actor_source,
            row.via,
            row.started_at,
            row.finished_at,
            row.waiting_on,
        )


def latest_rollout(connection: Connection) -> Rollout | None:
    """The open rollout, or else the latest one; None before the first."""
    row = connection.execute(query("rollout_open")).one_or_none()
    return None if row is None else Rollout.of(row)


def locked_rollout(connection: Connection, rollout_id: int) -> Rollout:
    """The rollout, its row locked for the caller's transaction: one change of its state at a time."""
    return Rollout.of(connection.execute(query("rollout_by_id"), {"id": rollout_id}).one())


def rollout_members(connection: Connection, rollout_id: int) -> list:
    return connection.execute(query("rollout_members"), {"rollout_id": rollout_id}).all()


def wave_lines(rollout: Rollout, rows: list) -> list[str]:
    """Each wave of the rollout's plan in one sentence: passed, what it waits on while it is under
    way, or the wave it waits for."""
    under_way = next((row.wave for row in rows if row.state not in DONE), None)
    lines = []
    for wave in rollout.plan.waves:
        in_wave = [row for row in rows if row.wave == wave.number]
        name = "Wave 0, the canary" if wave.number == 0 else f"Wave {wave.number}"
        size = f"{counted(len(in_wave), 'member')}, {wave.concurrency} at a time"
        if all(row.state in DONE for row in in_wave):
            skipped = sum(row.state == "skipped" for row in in_wave)
            lines.append(f"{name} ({size}): passed" + (f", {skipped} skipped." if skipped else "."))
        elif wave.number == under_way:
            lines.append(f"{name} ({size}): {rollout.status}. {rollout.waiting_on or ''}".strip())
        else:
            lines.append(f"{name} ({size}): waits for wave {wave.number - 1} to pass its gates.")
    return lines


def start_rollout(
    control: Engine,
    identity: Identity,
    fleet_file: Path,
    members: tuple[Member, ...],
    plan: Plan,
    queue: Queue,
) -> int:
    """A new rollout of `plan` over `members`, running; refused while another is open."""
    with fleet_audited(control, identity, "start rollout") as attempt:
        try:
            with control.begin() as connection:
                rollout_id = connection.execute(
                    query("rollout_insert"),
                    {
                        "plan": json.dumps(plan.as_json()),
                        "fleet_file": str(fleet_file),
                        "started_by": identity.name,
                        "actor_source": identity.source,
                        "via": identity.via,
                    },
                ).scalar_one()
                for position, member in enumerate(members):
                    connection.execute(
                        query("rollout_member_insert"),
                        {
                            "rollout_id": rollout_id,
                            "member": member.name,
                            "wave": member.wave,
                            "position": position,
                        },
                    )
        except IntegrityError:
            with control.connect() as connection:
                other = latest_rollout(connection)
            raise RolloutOpen(
                f"Rollout {other.id} is {other.status}, started by {other.started_by} at "
                f"{other.started_at:%Y-%m-%d %H:%M:%S %Z}: one rollout at a time. "
                "Let it finish, or cancel it."
            ) from None
        attempt.rollout_id = rollout_id
        attempt.detail = (
            f"rollout {rollout_id}: {counted(len(members), 'member')} in {counted(len(plan.waves), 'wave')}"
        )
    queue.advance(rollout_id)
    return rollout_id


@dataclass(frozen=True)
class Steer:
    applies_to: tuple[str, ...]
    leads_to: str
    job_step: str | None  # what it does to the members' runs in progress: pause, resume, cancel


STEERS = {
    "pause": Steer(("running",), "paused", "pause"),
    "resume": Steer(("paused", "halted"), "running", "resume"),
    "cancel": Steer(OPEN, "cancelled", "cancel"),
}


def steer_rollout(control: Engine, identity: Identity, step: str, queue: Queue) -> int:
    """Pause, resume or cancel the open rollout; its id. Pausing stops new steps from starting and
    pauses the members' runs in progress; resuming lets them go on; cancelling stops them."""
    steer = STEERS[step]
    with fleet_audited(control, identity, f"{step} rollout") as attempt:
        with control.begin() as connection:
            rollout = _open_rollout(connection, steer.applies_to, step)
            attempt.rollout_id = rollout.id
            _set_status(
                connection, rollout.id, steer.leads_to, f"{steer.leads_to.capitalize()} by {identity.name}."
            )
            members = rollout_members(connection, rollout.id)
            if step == "cancel":
                for row in members:
                    if row.state in ("waiting", "queued"):
                        set_member(connection, rollout.id, row.member, "cancelled")
        in_steps = [row.member for row in members if row.state in ("backfilling", "verifying")]
        steered = _steer_member_runs(rollout, identity, in_steps, steer.job_step)
        attempt.detail = f"rollout {rollout.id} {steer.leads_to}" + (f"; {steered}" if steered else "")
    if steer.leads_to == "running":
        queue.advance(rollout.id)
    return rollout.id


def retry_member(control: Engine, identity: Identity, member: str, queue: Queue) -> int:
    """Run a failed member's steps again from the one that failed, or a held member's backfill and
    verify again; the rollout runs again. Its id."""

    def retry(connection: Connection, rollout: Rollout, row) -> str:
        if row.state not in ("failed", "gating", "cancelled"):
            raise NothingToDo(f"Member {member} is {row.state}: only a failed or held member is retried.")
        connection.execute(query("rollout_retry_member"), {"rollout_id": rollout.id, "member": member})
        return f"retried (attempt {row.attempt + 1})"

    return _change_member(control, identity, "retry", member, queue, retry)


def skip_member(control: Engine, identity: Identity, member: str, reason: str, queue: Queue) -> int:
    """Leave a member out of the open rollout, with a written reason; its wave may then pass
    without it. Its id."""
    reason = reason.strip()
    if not reason:
        raise NothingToDo("Say why the member is skipped: --reason TEXT.")

    def skip(connection: Connection, rollout: Rollout, row) -> str:
        if row.state in IN_STEPS[1:] or row.state in DONE:
            raise NothingToDo(
                f"Member {member} is {row.state}: a member is skipped before its steps start, "
                "or once it failed or is held at its gates."
            )
        connection.execute(
            query("rollout_skip_member"), {"rollout_id": rollout.id, "member": member, "reason": reason}
        )
        return f"skipped: {reason}"

    return _change_member(control, identity, "skip", member, queue, skip)


def _change_member(
    control: Engine,
    identity: Identity,
    step: str,
    member: str,
    queue: Queue,
    change: Callable[[Connection, Rollout, object], str],
) -> int:
    """change(connection, rollout, member's row) in one audited transaction, saying what it did;
    a halted rollout then runs again unless another member failed too. The rollout's id."""
    with (
        fleet_audited(control, identity, f"{step} member", member=member) as attempt,
        control.begin() as connection,
    ):
        rollout = _open_rollout(connection, OPEN, f"{step} a member of")
        attempt.rollout_id = rollout.id
        done = change(connection, rollout, _member_row(connection, rollout.id, member))
        if rollout.status == "halted" and not _others_failed(connection, rollout.id, member):
            _set_status(connection, rollout.id, "running", f"Member {member} is {done.split(':')[0]}.")
        attempt.detail = f"rollout {rollout.id}: member {member} {done}"
    queue.advance(rollout.id)
    return rollout.id


def advance(control: Engine, rollout_id: int, queue: Queue) -> None:
    """Move the rollout on as far as it can go now: members whose gates hold pass, the wave under
    way gets members to run up to its concurrency, a finished wave lets the next one start, and the
    last one finishes the rollout. It looks again in a second while the rollout runs."""
    with control.begin() as connection:
        rollout = locked_rollout(connection, rollout_id)
        if rollout.status != "running":
            return
        members = members_of(rollout)
        rows = rollout_members(connection, rollout_id)
        waiting_on = _advance(connection, rollout, members, rows, queue)
        status = "finished" if waiting_on is None else rollout.status
        _set_status(connection, rollout_id, status, waiting_on or "Finished: every wave passed.")
        if status == "finished":
            record_fleet(
                connection,
                rollout.identity,
                "rollout",
                "succeeded",
                rollout_id=rollout_id,
                detail=f"rollout {rollout_id} finished: every wave passed",
            )
    if status == "running":
        queue.advance(rollout_id, ADVANCE_EVERY_SECONDS)


def _advance(
    connection: Connection, rollout: Rollout, members: dict[str, Member], rows: list, queue: Queue
) -> str | None:
    """The changes of one look, in the caller's transaction; what the rollout waits on, or None
    when every wave has passed."""
    wave = next((row.wave for row in rows if row.state not in DONE), None)
    if wave is None:
        return None
    plan_wave = rollout.plan.wave(wave)
    in_wave = [row for row in rows if row.wave == wave]
    held = []
    for row in in_wave:
        if row.state != "gating":
            continue
        gates = _gates_of(members.get(row.member), row, rollout.plan.soak_seconds)
        failing = gates if isinstance(gates, str) else first_failing(gates)
        if failing is None:
            set_member(connection, rollout.id, row.member, "passed")
            record_fleet(
                connection,
                rollout.identity,
                "member passed",
                "succeeded",
                rollout_id=rollout.id,
                member=row.member,
                detail="; ".join(gate.evidence for gate in gates),
            )
        else:
            problem = failing if isinstance(failing, str) else f"{failing.name}: {failing.evidence}"
            set_member(connection, rollout.id, row.member, "gating", problem)
            held.append(f"{row.member} ({problem})")
    rows = rollout_members(connection, rollout.id)
    in_wave = [row for row in rows if row.wave == wave]
    if all(row.state in DONE for row in in_wave):
        return _advance(connection, rollout, members, rows, queue)
    in_steps = [row for row in rows if row.state in IN_STEPS]
    for row in in_steps:
        if not queue.has_steps(row.member):  # its task was lost before it was queued: queue it again
            queue.run_steps(rollout.id, row.member)
    slots = min(plan_wave.concurrency, rollout.plan.backfill_cap) - len(in_steps)
    for row in [row for row in in_wave if row.state == "waiting"][: max(0, slots)]:
        set_member(connection, rollout.id, row.member, "queued")
        queue.run_steps(rollout.id, row.member)
    name = "the canary" if wave == 0 else f"wave {wave}"
    running = [row.member for row in rollout_members(connection, rollout.id) if row.state in IN_STEPS]
    parts = []
    if running:
        parts.append(f"{', '.join(running)} running {'its' if len(running) == 1 else 'their'} steps")
    if held:
        parts.append(f"the gates of {'; '.join(held)}")
    return f"{name.capitalize()} waits on " + (" and ".join(parts) or "its members") + "."


def _gates_of(member: Member | None, row, soak_seconds: int):
    """The member's gates, or the sentence saying why they cannot be read."""
    if member is None:
        return f"no member named {row.member} in the fleet file any more"
    try:
        engine = create_engine_for(member.url(), poolclass=NullPool)
    except SettingError as error:
        return str(error)
    try:
        with engine.connect() as connection:
            return member_gates(connection, float(row.soaked_seconds or 0), soak_seconds)
    except SQLAlchemyError as error:
        return f"cannot read its gates: {connection_failure(engine.url, error)}"
    finally:
        engine.dispose()


def fail_member(control: Engine, rollout: Rollout, member: str, problem: str) -> None:
    """The member failed a step: it and the rollout halt, until the operator retries or skips it."""
    with control.begin() as connection:
        set_member(connection, rollout.id, member, "failed", problem)
        _set_status(
            connection,
            rollout.id,
            "halted",
            f"Halted: member {member} failed: {problem} Retry it, or skip it with a reason.",
        )
        record_fleet(
            connection,
            rollout.identity,
            "member steps",
            "failed",
            rollout_id=rollout.id,
            member=member,
            detail=problem,
        )


def members_of(rollout: Rollout) -> dict[str, Member]:
    """The members of the rollout's fleet file by name, as the file says now."""
    try:
        return {member.name: member for member in load_fleet(rollout.fleet_file)}
    except SettingError:
        return {}  # each member's gates then say the file is unreadable, and the rollout waits


def _steer_member_runs(rollout: Rollout, identity: Identity, names: list[str], job_step: str | None) -> str:
    """Pause, resume or cancel the runs in progress of the members `names`; what could not be, in
    a sentence, or ''."""
    members = members_of(rollout)
    problems = []
    for name in names:
        member = members.get(name)
        if member is None:
            continue
        engine = create_engine_for(member.url(), poolclass=NullPool)
        try:
            for job in ("backfill", "verify"):
                with suppress(NothingToDo):
                    steer_job(engine, identity, job, job_step, rollout=rollout.id)
        except (ActionError, SQLAlchemyError) as error:
            problems.append(f"{name}: {str(error).splitlines()[0]}")
        finally:
            engine.dispose()
    return f"could not {job_step} the runs of {'; '.join(problems)}" if problems else ""


def _open_rollout(connection: Connection, statuses: tuple[str, ...], doing: str) -> Rollout:
    rollout = latest_rollout(connection)
    if rollout is None or rollout.status not in statuses:
        state = "no rollout" if rollout is None else f"rollout {rollout.id} is {rollout.status}"
        raise NothingToDo(f"There is nothing to {doing}: {state}.")
    return locked_rollout(connection, rollout.id)


def _member_row(connection: Connection, rollout_id: int, member: str):
    row = next((row for row in rollout_members(connection, rollout_id) if row.member == member), None)
    if row is None:
        raise NothingToDo(f"Rollout {rollout_id} has no member named {member}.")
    return row


def _others_failed(connection: Connection, rollout_id: int, member: str) -> bool:
    return any(
        row.state == "failed" and row.member != member for row in rollout_members(connection, rollout_id)
    )


def _set_status(connection: Connection, rollout_id: int, status: str, waiting_on: str) -> None:
    connection.execute(
        query("rollout_set_status"), {"id": rollout_id, "status": status, "waiting_on": waiting_on}
    )


def set_member(
    connection: Connection, rollout_id: int, member: str, state: str, problem: str | None = None, **recorded
) -> None:
    connection.execute(
        query("rollout_set_member"),
        {
            "rollout_id": rollout_id,
            "member": member,
            "state": state,
            "problem": problem,
            "step_done": recorded.get("step_done"),
            "backfill_run": recorded.get("backfill_run"),
            "verify_run": recorded.get("verify_run"),
            "stepped": recorded.get("stepped", False),
        },
    )
