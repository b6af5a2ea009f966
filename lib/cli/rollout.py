"""`python -m lib.cli fleet rollout|pause|resume|cancel|retry|skip|readiness|worker`: rollouts of the
migration over the fleet in waves (lib/fleet/rollout.py), on the task queue in the control
database (lib/fleet/queue.py). Exit 1 when an action is refused or has nothing to do, 2 when the
fleet, the plan or a database cannot be used; `rollout --wait` exits 0 once the rollout finished
and 1 when it halted or was cancelled."""

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from lib.db.database import connection_failure, create_engine_for
from lib.finish.readiness import all_hold, readiness, readiness_settings
from lib.fleet.control import control_engine
from lib.fleet.members import configured_fleet
from lib.fleet.plan import plan_for, read_plan_file
from lib.fleet.rollout import (
    latest_rollout,
    retry_member,
    rollout_members,
    skip_member,
    start_rollout,
    steer_rollout,
)
from lib.guard.identity import local_identity

WAIT_POLL_SECONDS = 1.0


def add_rollout_commands(actions: argparse._SubParsersAction) -> None:
    rollout = actions.add_parser(
        "rollout",
        help="start a rollout of the migration over the fleet, wave by wave",
        description="Start a rollout: the canary (wave 0) first, then each wave once every member of "
        "the one before passed its gates (coverage, no drift, no failed run, soak). The workers of the "
        "task queue run it (`fleet worker`; the console runs one with the embedded database).",
    )
    rollout.add_argument("--plan", type=Path, help="a plan file: soak_minutes, backfill_cap, concurrency")
    rollout.add_argument(
        "--wait", action="store_true", help="print the progress; exit 0 once finished, 1 once halted"
    )
    rollout.set_defaults(run=lambda args: start_command(args, *configured_fleet()))
    for step, says in (
        ("pause", "stop new steps from starting, and pause the members' runs in progress"),
        ("resume", "let a paused or halted rollout go on"),
        ("cancel", "stop the rollout, and cancel the members' runs in progress"),
    ):
        parser = actions.add_parser(step, help=f"{says}", description=f"The open rollout: {says}.")
        parser.set_defaults(
            run=lambda args, step=step: _act(lambda c, q: steer_rollout(c, local_identity(), step, q))
        )
    retry = actions.add_parser(
        "retry",
        help="run a failed or held member's steps again",
        description="A failed member goes on from the step that failed; a member held at its gates runs "
        "its backfill and verify again.",
    )
    retry.add_argument("member")
    retry.set_defaults(run=lambda args: _act(lambda c, q: retry_member(c, local_identity(), args.member, q)))
    skip = actions.add_parser(
        "skip", help="leave a member out of the rollout, with a reason", description="Skip a member: audited."
    )
    skip.add_argument("member")
    skip.add_argument("--reason", required=True)
    skip.set_defaults(
        run=lambda args: _act(lambda c, q: skip_member(c, local_identity(), args.member, args.reason, q))
    )
    gates = actions.add_parser(
        "readiness",
        help="each member's readiness gates before its contract migration",
        description="Each member's readiness gates, as `lib.cli readiness` gives them on that member. "
        "Exit 0 only when every gate of every member holds.",
    )
    gates.set_defaults(run=lambda args: readiness_command(*configured_fleet()))
    worker = actions.add_parser(
        "worker",
        help="run a worker of the fleet's task queue",
        description="A worker of the task queue in the control database, until SIGINT or SIGTERM. Run "
        "as many as you like, on any machine that reaches the control database and the members.",
    )
    worker.add_argument("--concurrency", type=int, default=8, help="tasks at once (default 8)")
    worker.set_defaults(run=worker_command)


def start_command(args: argparse.Namespace, path: Path, members) -> int:
    plan = plan_for(members, read_plan_file(args.plan) if args.plan else {})
    rollout_id = _with_queue(
        lambda control, queue: start_rollout(control, local_identity(), path, members, plan, queue)
    )
    if not args.wait:
        return 0
    return wait_for(rollout_id)


def _act(act: Callable) -> int:
    _with_queue(act)
    return 0


def worker_command(args: argparse.Namespace) -> None:
    from lib.fleet.queue import run_worker

    run_worker(control_engine(), args.concurrency)


def _with_queue(act: Callable):
    """act(control, queue) with the queue open; prints the rollout it acted on."""
    # Imported here: the task queue would add a third of a second to every other command.
    from lib.fleet.queue import TaskQueue, fleet_app

    control = control_engine()
    app = fleet_app(control)
    with app.open():
        rollout_id = act(control, TaskQueue(app))
    with control.connect() as connection:
        rollout = latest_rollout(connection)
    print(f"rollout {rollout_id}: {rollout.status}. {rollout.waiting_on or ''}".strip())
    return rollout_id


def wait_for(rollout_id: int) -> int:
    """Print what the rollout waits on each time it changes, until it can go no further."""
    control = control_engine()
    said = None
    while True:
        with control.connect() as connection:
            rollout = latest_rollout(connection)
            members = rollout_members(connection, rollout_id)
        line = f"{rollout.status}: {rollout.waiting_on}" if rollout.waiting_on else rollout.status
        if line != said:
            states = ", ".join(f"{row.member} {row.state}" for row in members)
            print(f"rollout {rollout_id} {line} [{states}]", flush=True)
            said = line
        if rollout.id != rollout_id or rollout.status in ("finished", "halted", "cancelled"):
            return 0 if rollout.status == "finished" else 1
        time.sleep(WAIT_POLL_SECONDS)


def readiness_command(path: Path, members) -> int:
    settings = readiness_settings()
    everywhere = True
    for member in members:
        engine = create_engine_for(member.url(), poolclass=NullPool)
        try:
            with engine.connect() as connection:
                gates = readiness(connection, settings)
        except SQLAlchemyError as error:
            print(f"{member.name}: cannot read its gates: {connection_failure(engine.url, error)}")
            everywhere = False
            continue
        finally:
            engine.dispose()
        failing = [gate.name for gate in gates if not gate.holds]
        print(
            f"{member.name}: {'every gate holds' if all_hold(gates) else 'not ready: ' + '; '.join(failing)}"
        )
        everywhere = everywhere and not failing
    return 0 if everywhere else 1
