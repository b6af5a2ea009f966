"""The console's actions, guarded: each runs inside `audited`, which checks the actor's role when
it acts and writes every attempt to the audit log, however it ends. The UI and the CLI both act
through here."""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from lib.aliases.store import (
    AliasCheck,
    ProposedAlias,
    Rejection,
    Removal,
    check_aliases,
    remove_aliases,
    write_aliases,
)
from lib.backfill.progress import Progress
from lib.backfill.task import DEFAULT_OPTIONS, RunOptions, RunOutcome, run_backfill
from lib.drift.verify import DEFAULT_THROTTLE, Repair, Verify, VerifyOutcome, VerifyProgress, run_verify
from lib.drift.verify import repair_drift as repair_rows
from lib.errors import ActionError, Busy, NothingToDo
from lib.guard.audit import audited, record_in, sentence_of
from lib.guard.identity import OPERATOR, Identity
from lib.guard.triggers import set_triggers
from lib.jobs.job import JOBS
from lib.jobs.runs import steer
from lib.jobs.settings import BatchSettings
from lib.jobs.status import CANCELLABLE, PAUSABLE, RESUMABLE
from lib.jobs.throttle import ThrottleSettings
from lib.sql import query
from lib.text import counted

# How long a removal waits for a writer's row lock, or a backfill batch, before it gives up.
ALIAS_LOCK_TIMEOUT_MS = 2_000


class AliasConflict(Busy):
    """Aliases changed under a write; nothing was written."""


def caused_by(rollout: int | None) -> dict:
    """An audit entry's parameters naming the fleet rollout behind the action, if one is."""
    return {} if rollout is None else {"rollout": rollout}


def start_backfill(
    engine: Engine,
    identity: Identity,
    settings: BatchSettings,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    options: RunOptions = DEFAULT_OPTIONS,
    on_created: Callable[[], None] = lambda: None,
    rollout: int | None = None,
) -> RunOutcome:
    """One backfill run, audited; `rollout` names the fleet rollout that started it."""
    parameters = {
        "batch_size": settings.batch_size,
        "pause_ms": settings.pause_ms,
        "source": identity.via,
        "throttle": options.throttle.as_json(),
        "tuning": options.tuning.as_json(),
        **caused_by(rollout),
    }
    # The started row is written with the run itself: a run killed before it ends still has it.
    with audited(engine, identity, "backfill", parameters, started_row=False) as attempt:
        outcome = run_backfill(
            engine,
            settings,
            identity.name,
            identity.via,
            on_progress,
            lambda connection, run_id: attempt.started_in(connection, f"run {run_id} started"),
            options,
            on_created,
        )
        attempt.outcome = {"succeeded": "succeeded", "cancelled": "cancelled"}.get(outcome.status, "failed")
        attempt.detail = f"run {outcome.run_id} {outcome.status}"
    return outcome


def verify(
    engine: Engine,
    identity: Identity,
    settings: BatchSettings,
    fresh: bool = False,
    on_progress: Callable[[VerifyProgress], None] = lambda progress: None,
    on_created: Callable[[], None] = lambda: None,
    throttle: ThrottleSettings = DEFAULT_THROTTLE,
    rollout: int | None = None,
) -> VerifyOutcome:
    """Scan every migrated table for drift and store what it finds, held by the signals of
    `throttle`; audited with its verdict. `rollout` names the fleet rollout that started it."""
    parameters = {
        "batch_size": settings.batch_size,
        "pause_ms": settings.pause_ms,
        "source": identity.via,
        "fresh": fresh,
        "throttle": throttle.as_json(),
        **caused_by(rollout),
    }
    with audited(engine, identity, "verify", parameters) as attempt:
        task = Verify(settings, identity.name, identity.via, fresh, on_progress, throttle)
        outcome = run_verify(engine, task, on_created)
        if outcome.status == "failed":
            raise VerifyFailed(f"verify run {outcome.run_id} failed: {outcome.error}")
        if outcome.status == "cancelled":
            attempt.outcome = "cancelled"
        attempt.detail = (
            f"verify run {outcome.run_id}: {outcome.status}, {counted(outcome.drift_rows, 'drifting row')}"
        )
    return outcome


def repair_drift(engine: Engine, identity: Identity) -> Repair:
    """Bring the rows that the last verify run found drifting back to the rule, in one
    transaction; audited. Verify again to see them pass."""
    with audited(engine, identity, "repair drift", {}) as attempt:
        try:
            with engine.begin() as connection:
                repair = repair_rows(connection, BatchSettings())
        except SQLAlchemyError as error:
            raise Busy(f"The repair was not done, and changed nothing: {sentence_of(error)}") from None
        attempt.parameters = {"verify_run": repair.run_id}
        attempt.detail = (
            f"verify run {repair.run_id}: {counted(repair.rows, 'drifting row')} back to the rule, "
            f"{counted(repair.repaired, 'owner id')} changed"
        )
    return repair


def psql_session(engine: Engine, identity: Identity, options: list[str], session: Callable[[], int]) -> int:
    """session(), a psql on the console's database that can change anything, for an operator
    alone; audited as it starts and as it ends, with psql's exit status. Its return value."""
    with audited(engine, identity, "psql session", {"psql_options": options}) as attempt:
        status = session()
        attempt.outcome = "succeeded" if status == 0 else "failed"
        attempt.detail = f"psql exited with {status}"
    return status


class VerifyFailed(ActionError):
    """A verify batch kept hitting its timeouts: the run failed, with what it had found so far."""


# What an operator may ask of a job in progress: the step, the statuses it applies to, the status
# it moves the run to, and what the audit says of it. The CLI's `pause`, `resume` and `cancel`
# take the job with `--job`.
@dataclass(frozen=True)
class Step:
    """An operator's step on a job in progress: the statuses it applies to, the status it leads
    to, what the audit log says was done, and what is said when no run can take it."""

    applies_to: tuple[str, ...]
    leads_to: str
    done: str
    nothing_to_steer: str


STEPS = {
    "pause": Step(PAUSABLE, "paused", "paused", "No {job} is running: only a running one can be paused."),
    "resume": Step(RESUMABLE, "running", "resumed", "No {job} is paused."),
    "cancel": Step(CANCELLABLE, "cancelling", "asked to stop", "No {job} is running."),
}


def steer_job(engine: Engine, identity: Identity, job: str, step: str, rollout: int | None = None) -> int:
    """Pause, resume or cancel (`step`) the `job` (backfill, verify) in progress, between two of
    its batches; its run id. A paused run keeps its place and its lock. `rollout` names the fleet
    rollout that asked."""
    taken = STEPS[step]
    with audited(engine, identity, f"{step} {job}", caused_by(rollout)) as attempt:
        with engine.begin() as connection:
            run_id = steer(connection, JOBS[job], taken.applies_to, taken.leads_to, identity.name)
        if run_id is None:
            raise NothingToDo(taken.nothing_to_steer.format(job=job))
        attempt.detail = f"run {run_id} {taken.done}"
    return run_id


def change_triggers(engine: Engine, identity: Identity, names: list[str], enable: bool) -> list[str]:
    """Enable or disable the named owner triggers; the names changed."""
    action = "enable triggers" if enable else "disable triggers"
    with audited(engine, identity, action, {"triggers": names}), engine.connect() as connection:
        set_triggers(connection, names, enable)
    return names


@dataclass(frozen=True)
class AliasesAdded:
    batch_id: int | None  # None when no proposal was valid, and nothing was written
    check: AliasCheck


def add_aliases(
    engine: Engine,
    identity: Identity,
    proposals: list[ProposedAlias],
    source: str,
    note: str = "",
    unreadable: list[Rejection] = (),
) -> AliasesAdded:
    """Check the proposals again, now, and write the valid ones as one batch, in one transaction
    with an audit entry for each; each rejected one is audited as failed, with its reason, as is
    each `unreadable` line of an imported file. The attempt as a whole is audited too."""
    action = "import aliases" if source == "import" else "add alias"
    parameters = {"source": source, "aliases": len(proposals), "note": note}
    with audited(engine, identity, action, parameters) as attempt:
        try:
            with engine.begin() as connection:
                check = check_aliases(connection, proposals)
                check.rejected[:0] = unreadable
                batch_id = None
                if check.accepted:
                    batch_id = write_aliases(connection, check.accepted, identity.name, source, note)
                _audit_added(connection, identity, check, batch_id, source)
        except IntegrityError:
            # Another operator added or removed an alias of one of these names, or deleted a user,
            # between the check and the write.
            raise AliasConflict(
                "Nothing was written: the aliases or users changed while these were written. Preview again."
            ) from None
        attempt.parameters = {
            **parameters,
            "batch_id": batch_id,
            "applied": len(check.accepted),
            "rejected": len(check.rejected),
        }
        attempt.outcome = "succeeded" if check.accepted else "failed"
    return AliasesAdded(batch_id, check)


def drop_aliases(engine: Engine, identity: Identity, legacy_usernames: list[str]) -> list[Removal]:
    """Remove the aliases, and resolve their rows again without them, in one transaction with an
    audit entry for each; a name without an alias is audited as failed."""
    with audited(engine, identity, "remove alias", {"legacy_usernames": legacy_usernames}):
        try:
            with engine.begin() as connection:
                connection.execute(
                    query("trigger_lock_timeout"), {"lock_timeout": f"{ALIAS_LOCK_TIMEOUT_MS}ms"}
                )
                removals = remove_aliases(connection, legacy_usernames, apply=True)
                for removal in removals:
                    parameters = {
                        "legacy_username": removal.legacy_username,
                        "user_id": removal.user_id,
                        "rows": removal.rows,
                        "back_to_unresolved": removal.unresolved,
                    }
                    record_in(connection, identity, OPERATOR, "remove alias", parameters, "succeeded")
                removed = {removal.legacy_username for removal in removals}
                for legacy in dict.fromkeys(legacy_usernames):
                    if legacy not in removed:
                        parameters, detail = {"legacy_username": legacy}, "no such alias"
                        record_in(
                            connection, identity, OPERATOR, "remove alias", parameters, "failed", detail
                        )
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != "55P03":
                raise
            raise AliasConflict(
                "Nothing was removed: a writer held a lock on one of the alias's rows, or a backfill "
                f"batch ran, for over {ALIAS_LOCK_TIMEOUT_MS / 1000:g} s. Try again."
            ) from None
    return removals


def _audit_added(
    connection, identity: Identity, check: AliasCheck, batch_id: int | None, source: str
) -> None:
    for alias in check.accepted:
        parameters = {
            "legacy_username": alias.legacy_username,
            "user_id": alias.user_id,
            "username": alias.username,
            "batch_id": batch_id,
            "source": source,
        }
        record_in(connection, identity, OPERATOR, "add alias", parameters, "succeeded")
    for rejection in check.rejected:
        parameters = {
            "legacy_username": rejection.legacy_username,
            "where": rejection.where,
            "source": source,
        }
        record_in(connection, identity, OPERATOR, "add alias", parameters, "failed", rejection.reason)


def start_backfill_in_background(
    engine: Engine, identity: Identity, settings: BatchSettings, options: RunOptions = DEFAULT_OPTIONS
) -> threading.Thread:
    """Start a console backfill on a thread of this process: it goes on when the browser closes,
    and every viewer and replica follows it through the runs table. What stops it before its run
    exists (a viewer, a second run, a health query that fails) is raised here, for the page to
    show; what stops it later, `background_failure` tells its starter."""
    return _in_background(
        identity,
        "backfill",
        lambda created: start_backfill(engine, identity, settings, options=options, on_created=created),
    )


def start_verify_in_background(
    engine: Engine,
    identity: Identity,
    settings: BatchSettings,
    fresh: bool = False,
    throttle: ThrottleSettings = DEFAULT_THROTTLE,
) -> threading.Thread:
    """Start a console verify on a thread of this process, as a console backfill starts; its
    result is in migration_ops.verify_runs for every viewer. `fresh`: start over rather than resume
    a run whose process died."""
    return _in_background(
        identity,
        "verify",
        lambda created: verify(engine, identity, settings, fresh, on_created=created, throttle=throttle),
    )


# How long starting a job in the background waits for its run to exist; a run that has to wait
# longer (for a lock, say) shows up on the page a moment later.
RUN_CREATED_WAIT_SECONDS = 10

# What stopped the last job each person started in the background of this process, by (person,
# action), after its start had returned: the page tells them until they start that action again.
_failures: dict[tuple[str, str], str] = {}
_failures_lock = threading.Lock()


def background_failure(identity: Identity, action: str) -> str | None:
    """The sentence of what stopped the last `action` (backfill, verify) that `identity` started
    in the background of this process, once its start had returned; None if nothing did."""
    with _failures_lock:
        return _failures.get((identity.name, action))


def _in_background(identity: Identity, action: str, job: Callable) -> threading.Thread:
    """Run job(created) on a thread; return once it has called created(), with its run committed
    for every viewer to see. If the job fails before that, its error is raised here."""
    created = threading.Event()
    before_created: list[BaseException] = []
    caller_waits = True
    with _failures_lock:
        _failures.pop((identity.name, action), None)

    def run() -> None:
        try:
            job(created.set)
        except BaseException as error:
            with _failures_lock:
                if caller_waits and not created.is_set():
                    before_created.append(error)
                    return
                sentence = str(error) if isinstance(error, ActionError) else sentence_of(error)
                _failures[(identity.name, action)] = f"The {action} you started stopped: {sentence}"
            if not isinstance(error, ActionError | SQLAlchemyError):
                raise  # a bug: its traceback goes to the log
        finally:
            created.set()

    thread = threading.Thread(target=run, name=action, daemon=True)
    thread.start()
    created.wait(RUN_CREATED_WAIT_SECONDS)
    with _failures_lock:
        caller_waits = False
        if before_created:
            raise before_created[0]
    return thread
