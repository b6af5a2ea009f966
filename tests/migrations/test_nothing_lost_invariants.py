"""Random operations that include the playbook's rollback: owner triggers disabled and enabled one
by one, legacy and new writes while they are off, renames, aliases added and removed, backfills.
Once the triggers are on again and a backfill has run, verify finds no drift and the invariants
of docs/design.md's write path hold.

Each example runs in one transaction of its own database, rolled back at the end; verify runs
its batches (of 7 rows, to cross batch edges) in that transaction too.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lib.aliases.store import ProposedAlias, check_aliases, remove_aliases, write_aliases
from lib.drift.verify import BEFORE_FIRST_ID, drift_rows, verify_batch
from lib.drift.waiting import writes_waiting
from lib.registry import MIGRATED_TABLES, TRIGGER_KINDS, trigger_name
from lib.sql import query
from tests.support.invariants import OPERATIONS, apply, check_global_invariants, pick, tables

ALIASED = ["zed", "cy", "ghost", "O'Hara", "=1+1", "Bob"]
# Every example starts from these users and rows, so that the first write can already re-point a
# resolved row.
SEED = [("user_insert", "ann"), ("user_insert", "bob"), ("user_insert", "Bob")] + [
    ("legacy_insert", table, username) for table in MIGRATED_TABLES for username in ("ann", "BOB ", "ghost")
]
VERIFY_BATCH = 7
KINDS = tuple(TRIGGER_KINDS)

rollback_operations = st.one_of(
    *OPERATIONS,
    # The playbook's rollback of one table, or one trigger at a time.
    st.tuples(st.just("trigger_off"), tables, st.just(KINDS)),
    st.tuples(st.just("trigger_off"), tables, st.sampled_from(KINDS).map(lambda kind: (kind,))),
    st.tuples(st.just("trigger_on"), tables, st.sampled_from(KINDS).map(lambda kind: (kind,))),
    st.tuples(st.just("trigger_on"), tables, st.just(KINDS)),
    st.tuples(st.just("alias_add"), st.sampled_from(ALIASED), pick),
    st.tuples(st.just("alias_remove"), st.sampled_from(ALIASED)),
)


def set_trigger(connection, table: str, kind: str, enabled: bool) -> None:
    state = "ENABLE" if enabled else "DISABLE"
    connection.exec_driver_sql(f"ALTER TABLE {table} {state} TRIGGER {trigger_name(table, kind)}")


def in_step(connection, off: set) -> bool:
    """Every owner trigger on, and no write waiting to be reconciled."""
    return not off and not any(writes_waiting(connection).values())


def drift(connection) -> list[dict]:
    """A whole verify run, in the caller's transaction."""
    run_id = connection.execute(
        query("verify_create_run"),
        {
            "started_by": "test",
            "source": "cli",
            "batch_size": VERIFY_BATCH,
            "pause_ms": 0,
            "rows_total": None,
        },
    ).scalar_one()
    for table in MIGRATED_TABLES:
        after_id = BEFORE_FIRST_ID
        while (
            batch := verify_batch(connection, run_id, table, after_id, VERIFY_BATCH)
        ).scanned == VERIFY_BATCH:
            after_id = batch.last_id
    return drift_rows(connection, run_id)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(rollback_operations, min_size=1, max_size=30))
@pytest.mark.slow
def test_after_a_rollback_and_a_backfill_verify_finds_no_drift(db, steps):
    off: set[tuple[str, str]] = set()
    with db.connect() as connection:
        try:
            for step in SEED:
                apply(connection, step)
            for step in steps:
                kind, *args = step
                if kind in ("trigger_off", "trigger_on"):
                    table, triggers = args
                    for trigger in triggers:
                        set_trigger(connection, table, trigger, enabled=kind == "trigger_on")
                        (off.discard if kind == "trigger_on" else off.add)((table, trigger))
                elif kind == "alias_add":
                    legacy, user_index = args
                    users = connection.execute(text("SELECT id FROM app_users ORDER BY id")).scalars().all()
                    if users:
                        proposal = ProposedAlias(legacy, user_id=users[user_index % len(users)])
                        accepted = check_aliases(connection, [proposal]).accepted
                        write_aliases(connection, accepted, "test", "cli", "")
                elif kind == "alias_remove":
                    remove_aliases(connection, args, apply=True)
                    # A removal sets the triggers aside for the rest of its own transaction.
                    connection.execute(text("SELECT set_config('owner_migration.backfill', '', true)"))
                else:
                    apply(connection, step, expect=in_step(connection, off))
                if in_step(connection, off):
                    check_global_invariants(connection)

            for table, trigger in off:
                set_trigger(connection, table, trigger, enabled=True)
            connection.execute(text("SELECT * FROM run_owner_backfill()"))

            assert not any(writes_waiting(connection).values())
            assert drift(connection) == []
            check_global_invariants(connection)
        finally:
            connection.rollback()
