"""The fleet's task queue: procrastinate, in the control database (docs/fleet.md, The task queue).

Two tasks: `advance` moves a rollout on (lib/fleet/rollout.py), at most one queued per rollout;
`member steps` runs a member's steps (lib/fleet/steps.py), under a lock on the member's name, so
that one task per member runs at a time whatever the workers. A worker is `python -m lib.cli
fleet worker`, on this machine or any other that reaches the control database; with the embedded
database, the console runs one itself.

A worker that dies leaves its task `doing`. Every worker looks, each few seconds, for the tasks of
workers that stopped beating, and queues them again: the tasks are idempotent over the control
database, so one that runs again goes on from where its member is.
"""

import asyncio
import threading
from contextlib import suppress

from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import Engine

from lib.db.database import libpq_conninfo
from lib.fleet.rollout import advance, latest_rollout
from lib.fleet.steps import run_member_steps

ADVANCE = "fleet.advance"
MEMBER_STEPS = "fleet.member_steps"
# A worker beats this often; one silent for STALLED_AFTER_SECONDS is dead, and its tasks run again.
HEARTBEAT_SECONDS = 2.0
STALLED_AFTER_SECONDS = 10.0
RECOVER_EVERY_SECONDS = 2.0
POLL_SECONDS = 0.5
WORKER_CONCURRENCY = 8


class TaskQueue:
    """lib.fleet.rollout.Queue over a procrastinate App, for synchronous callers (the CLI, the
    console, the tasks themselves)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def advance(self, rollout_id: int, delay_seconds: float = 0) -> None:
        with suppress(AlreadyEnqueued):  # one is queued already: it will see what this one would have
            _advance_deferrer(self.app, rollout_id, delay_seconds).defer(rollout_id=rollout_id)

    def run_steps(self, rollout_id: int, member: str) -> None:
        deferrer = self.app.configure_task(
            MEMBER_STEPS, lock=member_lock(member), queueing_lock=f"fleet-steps-{rollout_id}-{member}"
        )
        with suppress(AlreadyEnqueued):
            deferrer.defer(rollout_id=rollout_id, member=member)

    def has_steps(self, member: str) -> bool:
        lock = member_lock(member)
        return any(self.app.job_manager.list_jobs(lock=lock, status=status) for status in ("todo", "doing"))


def member_lock(member: str) -> str:
    return f"fleet-member-{member}"


def _advance_deferrer(app: App, rollout_id: int, delay_seconds: float):
    lock = f"fleet-rollout-{rollout_id}"
    return app.configure_task(ADVANCE, lock=lock, queueing_lock=lock, schedule_in={"seconds": delay_seconds})


def fleet_app(control: Engine) -> App:
    """The queue's App on the control database, with the fleet's tasks; open it before use."""
    app = App(connector=PsycopgConnector(conninfo=libpq_conninfo(control.url)))
    queue = TaskQueue(app)

    @app.task(name=ADVANCE)
    def advance_task(rollout_id: int) -> None:
        advance(control, rollout_id, queue)

    @app.task(name=MEMBER_STEPS)
    def member_steps_task(rollout_id: int, member: str) -> None:
        run_member_steps(control, rollout_id, member, queue)

    return app


def run_worker(
    control: Engine,
    concurrency: int = WORKER_CONCURRENCY,
    *,
    stop: threading.Event | None = None,
    install_signal_handlers: bool = True,
) -> None:
    """A worker of the fleet's queue, until SIGINT or SIGTERM (or `stop`, set by another thread)."""
    asyncio.run(_work(fleet_app(control), control, concurrency, stop, install_signal_handlers))


async def _work(
    app: App, control: Engine, concurrency: int, stop: threading.Event | None, install_signal_handlers: bool
) -> None:
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                concurrency=concurrency,
                # A rollout looks again each second, as a task scheduled for then: found within
                # this long (a task to run now is announced at once, by NOTIFY).
                fetch_job_polling_interval=POLL_SECONDS,
                update_heartbeat_interval=HEARTBEAT_SECONDS,
                stalled_worker_timeout=STALLED_AFTER_SECONDS,
                install_signal_handlers=install_signal_handlers,
            )
        )
        recovery = asyncio.create_task(_recover(app, control, stop, worker))
        try:
            await worker
        finally:
            recovery.cancel()


async def _recover(app: App, control: Engine, stop: threading.Event | None, worker: asyncio.Task) -> None:
    """Each few seconds: the tasks of dead workers queued again, and an `advance` queued for the
    running rollout, in case the one that was due died with its worker."""
    while not (stop is not None and stop.is_set()):
        for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS):
            await app.job_manager.retry_job(job)
        rollout_id = await asyncio.to_thread(_running_rollout, control)
        if rollout_id is not None:
            with suppress(AlreadyEnqueued):
                await _advance_deferrer(app, rollout_id, 0).defer_async(rollout_id=rollout_id)
        await asyncio.sleep(RECOVER_EVERY_SECONDS)
    worker.cancel()


def _running_rollout(control: Engine) -> int | None:
    with control.connect() as connection:
        rollout = latest_rollout(connection)
    return rollout.id if rollout is not None and rollout.status == "running" else None
