"""The console's actions, guarded: each re-checks the actor's role when it acts, and writes every
attempt to the audit log, refused ones included. The UI and the CLI both act through here."""

import contextlib
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
from lib.backfill.loop import DEFAULT_OPTIONS, BackfillAlreadyRunning, RunOptions, RunOutcome, run_backfill
from lib.backfill.progress import Progress
from lib.backfill.runs import request_cancel, request_pause, request_resume
from lib.backfill.settings import BatchSettings
from lib.backfill.throttle import ThrottleSettingsError
from lib.drift.verify import Repair, VerifyAlreadyRunning, VerifyOutcome, VerifyProgress, run_verify
from lib.drift.verify import repair_drift as repair_rows
from lib.errors import ActionError, Busy, NothingToDo, Refused
from lib.guard.audit import record, record_in
from lib.guard.identity import OPERATOR, Identity, role_of
from lib.guard.triggers import set_triggers
from lib.sql import query
from lib.text import counted

# How long a removal waits for a writer's row lock, or a backfill batch, before it gives up.
ALIAS_LOCK_TIMEOUT_MS = 2_000


class AliasConflict(Busy):
    """Aliases changed under a write; nothing was written."""


def start_backfill(
    engine: Engine,
    identity: Identity,
    settings: BatchSettings,
    source: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    options: RunOptions = DEFAULT_OPTIONS,
    on_created: Callable[[], None] = lambda: None,
) -> RunOutcome:
    parameters = {
        "batch_size": settings.batch_size,
        "pause_ms": settings.pause_ms,
        "source": source,
        "throttle": options.throttle.as_json(),
        "tuning": options.tuning.as_json(),
    }
    _require_operator(engine, identity, "backfill", parameters)

    def audit_start(connection, run_id: int) -> None:
        # With the run itself: a run killed before it ends still has its audit row.
        record_in(connection, identity, OPERATOR, "backfill", parameters, "started", f"run {run_id} started")

    try:
        outcome = run_backfill(
            engine, settings, identity.name, source, on_progress, audit_start, options, on_created
        )
    except BackfillAlreadyRunning as error:
        record(engine, identity, OPERATOR, "backfill", parameters, "refused", str(error))
        raise
    except ThrottleSettingsError as error:
        record(engine, identity, OPERATOR, "backfill", parameters, "failed", str(error))
        raise
    final = {"succeeded": "succeeded", "cancelled": "cancelled"}.get(outcome.status, "failed")
    record(
        engine, identity, OPERATOR, "backfill", parameters, final, f"run {outcome.run_id} {outcome.status}"
    )
    return outcome


def verify(
    engine: Engine,
    identity: Identity,
    settings: BatchSettings,
    source: str,
    fresh: bool = False,
    on_progress: Callable[[VerifyProgress], None] = lambda progress: None,
    on_created: Callable[[], None] = lambda: None,
) -> VerifyOutcome:
    """Scan both tables for drift and store what it finds; audited with its verdict."""
    parameters = {
        "batch_size": settings.batch_size,
        "pause_ms": settings.pause_ms,
        "source": source,
        "fresh": fresh,
    }
    _require_operator(engine, identity, "verify", parameters)
    try:
        outcome = run_verify(engine, settings, identity.name, source, fresh, on_progress, on_created)
    except VerifyAlreadyRunning as error:
        record(engine, identity, OPERATOR, "verify", parameters, "refused", str(error))
        raise
    detail = f"verify run {outcome.run_id}: {outcome.status}, {counted(outcome.drift_rows, 'drifting row')}"
    record(engine, identity, OPERATOR, "verify", parameters, "succeeded", detail)
    return outcome


def repair_drift(engine: Engine, identity: Identity) -> Repair:
    """Bring the rows that the last verify run found drifting back to the rule, in one
    transaction; audited. Verify again to see them pass."""
    parameters: dict = {}
    _require_operator(engine, identity, "repair drift", parameters)
    try:
        with engine.begin() as connection:
            repair = repair_rows(connection, BatchSettings())
    except NothingToDo as error:
        record(engine, identity, OPERATOR, "repair drift", parameters, "refused", str(error))
        raise
    except SQLAlchemyError as error:
        message = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        record(engine, identity, OPERATOR, "repair drift", parameters, "failed", message)
        raise Busy(f"The repair was not done, and changed nothing: {message}") from None
    detail = (
        f"verify run {repair.run_id}: {counted(repair.rows, 'drifting row')} back to the rule, "
        f"{counted(repair.repaired, 'owner id')} changed"
    )
    record(engine, identity, OPERATOR, "repair drift", {"verify_run": repair.run_id}, "succeeded", detail)
    return repair


def psql_session(engine: Engine, identity: Identity, options: list[str], session: Callable[[], int]) -> int:
    """session(), a psql on the console's database that can change anything, for an operator
    alone; audited as it starts and as it ends, with psql's exit status. Its return value."""
    parameters = {"psql_options": options}
    _require_operator(engine, identity, "psql session", parameters)
    record(engine, identity, OPERATOR, "psql session", parameters, "started")
    status = session()
    outcome = "succeeded" if status == 0 else "failed"
    record(engine, identity, OPERATOR, "psql session", parameters, outcome, f"psql exited with {status}")
    return status


def cancel_backfill(engine: Engine, identity: Identity) -> int:
    """Ask the running (or paused) backfill to stop between two batches; its run id."""
    return _steer_backfill(engine, identity, "cancel backfill", request_cancel, "asked to stop")


def pause_backfill(engine: Engine, identity: Identity) -> int:
    """Hold the running backfill before its next batch, keeping its place and its lock; its run id."""
    return _steer_backfill(engine, identity, "pause backfill", request_pause, "paused")


def resume_backfill(engine: Engine, identity: Identity) -> int:
    """Let the paused backfill go on; its run id."""
    return _steer_backfill(
        engine, identity, "resume backfill", lambda connection, name: request_resume(connection), "resumed"
    )


def _steer_backfill(engine: Engine, identity: Identity, action: str, request: Callable, done: str) -> int:
    _require_operator(engine, identity, action, {})
    with engine.connect() as connection:
        run_id = request(connection, identity.name)
    if run_id is None:
        nothing = {
            "cancel backfill": "No backfill is running.",
            "pause backfill": "No backfill is running: only a running one can be paused.",
            "resume backfill": "No backfill is paused.",
        }[action]
        record(engine, identity, OPERATOR, action, {}, "failed", nothing)
        raise NothingToDo(nothing)
    record(engine, identity, OPERATOR, action, {}, "succeeded", f"run {run_id} {done}")
    return run_id


def change_triggers(engine: Engine, identity: Identity, names: list[str], enable: bool) -> list[str]:
    """Enable or disable the named owner triggers; the names changed."""
    action = "enable triggers" if enable else "disable triggers"
    parameters = {"triggers": names}
    _require_operator(engine, identity, action, parameters)
    try:
        with engine.connect() as connection:
            set_triggers(connection, names, enable)
    except ActionError as error:
        record(engine, identity, OPERATOR, action, parameters, "failed", str(error))
        raise
    record(engine, identity, OPERATOR, action, parameters, "succeeded")
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
    each `unreadable` line of an imported file. An import is audited once more, as a whole."""
    action = "import aliases" if source == "import" else "add alias"
    _require_operator(engine, identity, action, {"source": source, "aliases": len(proposals), "note": note})
    try:
        with engine.begin() as connection:
            check = check_aliases(connection, proposals)
            check.rejected[:0] = unreadable
            batch_id = None
            if check.accepted:
                batch_id = write_aliases(connection, check.accepted, identity.name, source, note)
            _audit_added(connection, identity, check, batch_id, source)
            if source == "import":
                summary = {
                    "batch_id": batch_id,
                    "applied": len(check.accepted),
                    "rejected": len(check.rejected),
                }
                record_in(connection, identity, OPERATOR, action, summary, _outcome(check.accepted), note)
    except IntegrityError:
        # Another operator added or removed an alias of one of these names, or deleted a user,
        # between the check and the write.
        detail = "the aliases or users changed while these were written; nothing was written"
        parameters = {"source": source, "aliases": len(proposals)}
        record(engine, identity, OPERATOR, action, parameters, "failed", detail)
        raise AliasConflict(f"Nothing was written: {detail}. Preview again.") from None
    return AliasesAdded(batch_id, check)


def drop_aliases(engine: Engine, identity: Identity, legacy_usernames: list[str]) -> list[Removal]:
    """Remove the aliases, and resolve their rows again without them, in one transaction with an
    audit entry for each; a name without an alias is audited as failed."""
    _require_operator(engine, identity, "remove alias", {"legacy_usernames": legacy_usernames})
    try:
        with engine.begin() as connection:
            connection.execute(query("trigger_lock_timeout"), {"lock_timeout": f"{ALIAS_LOCK_TIMEOUT_MS}ms"})
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
                    record_in(connection, identity, OPERATOR, "remove alias", parameters, "failed", detail)
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != "55P03":
            raise
        detail = (
            "a writer held a lock on one of the alias's rows, or a backfill batch ran, "
            f"for over {ALIAS_LOCK_TIMEOUT_MS / 1000:g} s; "
            "nothing was removed"
        )
        parameters = {"legacy_usernames": legacy_usernames}
        record(engine, identity, OPERATOR, "remove alias", parameters, "failed", detail)
        raise AliasConflict(f"Nothing was removed: {detail}. Try again.") from None
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


def _outcome(accepted: list) -> str:
    return "succeeded" if accepted else "failed"


def _require_operator(engine: Engine, identity: Identity, action: str, parameters: dict) -> None:
    role = role_of(identity)
    if role != OPERATOR:
        reason = f"{identity} is a viewer; operators are listed in the console's configuration"
        record(engine, identity, role, action, parameters, "refused", reason)
        raise Refused(f"Refused: {reason}.")


def start_backfill_in_background(
    engine: Engine, identity: Identity, settings: BatchSettings, options: RunOptions = DEFAULT_OPTIONS
) -> threading.Thread:
    """Start a console backfill on a thread of this process: it goes on when the browser closes,
    and every viewer and replica follows it through the runs table. A viewer is refused here and
    now; the thread checks the role again as it starts, and a second run is refused (and
    audited) there while the page shows the run that holds the lock."""
    parameters = {"batch_size": settings.batch_size, "source": "console"}
    return _in_background(
        engine,
        identity,
        "backfill",
        parameters,
        lambda created: start_backfill(
            engine, identity, settings, "console", options=options, on_created=created
        ),
    )


def start_verify_in_background(
    engine: Engine, identity: Identity, settings: BatchSettings, fresh: bool = False
) -> threading.Thread:
    """Start a console verify on a thread of this process, as a console backfill starts; its
    result is in migration_ops.verify_runs for every viewer. `fresh`: start over rather than resume
    a run whose process died."""
    parameters = {"batch_size": settings.batch_size, "source": "console", "fresh": fresh}
    return _in_background(
        engine,
        identity,
        "verify",
        parameters,
        lambda created: verify(engine, identity, settings, "console", fresh, on_created=created),
    )


# How long starting a job in the background waits for its run to exist; a run that has to wait
# longer (for a lock, say) shows up on the page a moment later.
RUN_CREATED_WAIT_SECONDS = 10


def _in_background(
    engine: Engine, identity: Identity, action: str, parameters: dict, job: Callable
) -> threading.Thread:
    """Run job(created) on a thread; return once it has called created(), with its run committed
    for every viewer to see, or has ended (refused, say), so that the page drawn next shows it."""
    if role_of(identity) != OPERATOR:
        _require_operator(engine, identity, action, parameters)
    created = threading.Event()

    def run() -> None:
        try:
            with contextlib.suppress(ActionError):
                job(created.set)
        finally:
            created.set()

    thread = threading.Thread(target=run, name=action, daemon=True)
    thread.start()
    created.wait(RUN_CREATED_WAIT_SECONDS)
    return thread
