"""The sync and log triggers of every migrated table, and their state in pg_trigger."""

from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from lib.errors import BadInput, Busy
from lib.registry import MIGRATED_TABLES, TRIGGER_KINDS, trigger_name
from lib.sql import identifier, query

# pg_trigger.tgenabled: only O and A fire for the application's ordinary sessions.
STATE_BY_CODE = {"O": "enabled", "A": "enabled", "D": "disabled", "R": "replica only"}


@dataclass(frozen=True)
class TriggerState:
    table: str
    kind: str
    name: str
    state: str  # enabled, disabled, replica only, or missing

    @property
    def enabled(self) -> bool:
        return self.state == "enabled"


def trigger_states(connection: Connection) -> list[TriggerState]:
    expected = [
        (table, kind, trigger_name(table, kind)) for table in MIGRATED_TABLES for kind in TRIGGER_KINDS
    ]
    found = {
        row.trigger_name: STATE_BY_CODE.get(row.enabled_code, row.enabled_code)
        for row in connection.execute(
            query("trigger_state"), {"trigger_names": [name for _, _, name in expected]}
        )
    }
    return [TriggerState(table, kind, name, found.get(name, "missing")) for table, kind, name in expected]


def rollback_sql(statement: str = "DISABLE") -> str:
    """The playbook's rollback step 3 (or, with ENABLE, its undoing) for every owner trigger."""
    return "\n".join(
        alter_trigger(table, trigger_name(table, kind), enable=statement == "ENABLE") + ";"
        for table in MIGRATED_TABLES
        for kind in TRIGGER_KINDS
    )


def alter_trigger(table: str, name: str, *, enable: bool) -> str:
    if enable:
        return f"ALTER TABLE {identifier(table)} ENABLE TRIGGER {identifier(name)}"
    return f"ALTER TABLE {identifier(table)} DISABLE TRIGGER {identifier(name)}"


# ALTER TABLE … TRIGGER needs a lock that writers queue behind while it waits: it waits this long
# at most, so writers never queue longer.
TRIGGER_LOCK_TIMEOUT_MS = 2_000


class TableBusy(Busy):
    """The lock for ALTER TABLE could not be had in time; the message says which table."""


def set_triggers(connection: Connection, names: list[str], enable: bool) -> None:
    """Enable or disable the named owner triggers in one transaction, under a short lock_timeout."""
    known = {trigger_name(table, kind): table for table in MIGRATED_TABLES for kind in TRIGGER_KINDS}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise BadInput(f"not owner triggers: {', '.join(unknown) or 'none given'}")
    try:
        with connection.begin():
            connection.execute(
                query("trigger_lock_timeout"), {"lock_timeout": f"{TRIGGER_LOCK_TIMEOUT_MS}ms"}
            )
            for name in names:
                connection.exec_driver_sql(alter_trigger(known[name], name, enable=enable))
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != "55P03":
            raise
        table = known[names[0]]
        raise TableBusy(
            f"Nothing changed: a transaction holds a lock on {table}, and the change gave up after "
            f"{TRIGGER_LOCK_TIMEOUT_MS / 1000:g} s so that writers do not queue behind it. Try again."
        ) from None
