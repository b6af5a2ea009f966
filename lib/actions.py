"""The console's actions, guarded: each re-checks the actor's role when it acts, and writes every
attempt to the audit log, refused ones included. The UI and the CLI both act through here."""

import contextlib
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from lib.audit import record
from lib.backfill.progress import Progress
from lib.backfill.runner import BackfillAlreadyRunning, RunOutcome, request_cancel, run_backfill
from lib.backfill.settings import BatchSettings
from lib.identity import OPERATOR, Identity, role_of
from lib.triggers import TableBusy, set_triggers


class Refused(PermissionError):
    """The actor may not do this; the message says why."""


def start_backfill(
    engine: Engine,
    identity: Identity,
    settings: BatchSettings,
    source: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
) -> RunOutcome:
    parameters = {"batch_size": settings.batch_size, "pause_ms": settings.pause_ms, "source": source}
    _require_operator(engine, identity, "backfill", parameters)
    try:
        outcome = run_backfill(engine, settings, identity.name, source, on_progress)
    except BackfillAlreadyRunning as error:
        record(engine, identity, OPERATOR, "backfill", parameters, "refused", str(error))
        raise
    final = {"succeeded": "succeeded", "cancelled": "cancelled"}.get(outcome.status, "failed")
    record(
        engine, identity, OPERATOR, "backfill", parameters, final, f"run {outcome.run_id} {outcome.status}"
    )
    return outcome


def cancel_backfill(engine: Engine, identity: Identity) -> int | None:
    _require_operator(engine, identity, "cancel backfill", {})
    with engine.connect() as connection:
        run_id = request_cancel(connection, identity.name)
    outcome, detail = (
        ("succeeded", f"run {run_id} asked to stop") if run_id else ("failed", "no backfill running")
    )
    record(engine, identity, OPERATOR, "cancel backfill", {}, outcome, detail)
    return run_id


def change_triggers(engine: Engine, identity: Identity, names: list[str], enable: bool) -> None:
    action = "enable triggers" if enable else "disable triggers"
    parameters = {"triggers": names}
    _require_operator(engine, identity, action, parameters)
    try:
        with engine.connect() as connection:
            set_triggers(connection, names, enable)
    except (TableBusy, ValueError) as error:
        record(engine, identity, OPERATOR, action, parameters, "failed", str(error))
        raise
    record(engine, identity, OPERATOR, action, parameters, "succeeded")


def _require_operator(engine: Engine, identity: Identity, action: str, parameters: dict) -> None:
    role = role_of(identity)
    if role != OPERATOR:
        reason = f"{identity} is a viewer; operators are listed in the console's configuration"
        record(engine, identity, role, action, parameters, "refused", reason)
        raise Refused(f"Refused: {reason}.")


def start_backfill_in_background(engine: Engine, identity: Identity, settings: BatchSettings) -> None:
    """Start a console backfill on a thread of this process: it goes on when the browser closes,
    and every viewer and replica follows it through the runs table. A viewer is refused here and
    now; the thread checks the role again as it starts, and a second run is refused (and
    audited) there while the page shows the run that holds the lock."""
    if role_of(identity) != OPERATOR:
        _require_operator(
            engine, identity, "backfill", {"batch_size": settings.batch_size, "source": "console"}
        )

    def run() -> None:
        with contextlib.suppress(Refused, BackfillAlreadyRunning):
            start_backfill(engine, identity, settings, "console")

    threading.Thread(target=run, name="backfill", daemon=True).start()
