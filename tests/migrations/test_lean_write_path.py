"""The lean write path (0058, 0059): the sync trigger's exact lookup gives what the rule gives, a
write that needs nothing writes nothing but its row, and the revisions keep every trigger's
state."""

import pytest
from sqlalchemy import text

from lib.db.schema import downgrade, upgrade
from lib.registry import MIGRATED_TABLES
from tests.support.crm import add_alias_in_sql, add_user, insert_row, owner_of, update_row

pytestmark = pytest.mark.parametrize("table", MIGRATED_TABLES)

# A name of every class the rule knows, as a legacy client may write it.
WRITTEN = (
    "jdoe",  # exact
    "JDoe",  # exact, beside its case variant
    "  jdoe ",  # padded
    "mary.major",  # case-folded
    "JDOE",  # ambiguous
    "m.major",  # an alias
    "M.Major",  # an alias's case variant: not the alias
    "nobody",  # not found
    "\tjdoe",  # a tab is not trimmed
    "",  # blank
    "   ",  # blank
)


@pytest.fixture
def users(db):
    with db.begin() as connection:
        ids = {name: add_user(connection, name) for name in ("jdoe", "JDoe", "Mary.Major", "ann")}
        add_alias_in_sql(connection, "m.major", ids["Mary.Major"])
    return ids


def rule(connection, names):
    rows = connection.execute(
        text("SELECT owner_username, user_id FROM resolve_owner_usernames(:names)"), {"names": list(names)}
    )
    return dict(rows.all())


def test_the_sync_trigger_resolves_every_class_of_name_as_the_rule_does(db, users, table):
    with db.begin() as connection:
        wanted = rule(connection, WRITTEN)
        inserted = {name: owner_of(connection, table, insert_row(connection, table, owner_username=name))[1]
                    for name in WRITTEN}  # fmt: skip
        row = insert_row(connection, table, owner_user_id=users["ann"])
        updated = {}
        for name in WRITTEN:
            update_row(connection, table, row, owner_username=name)
            updated[name] = owner_of(connection, table, row)[1]
            update_row(connection, table, row, owner_user_id=users["ann"])
    assert inserted == updated == wanted
    assert wanted["  jdoe "] == users["jdoe"] and wanted["m.major"] == users["Mary.Major"]


def calls(connection) -> dict[str, int]:
    """The PL/pgSQL functions this transaction has called so far, with their calls."""
    rows = connection.execute(text("SELECT funcname, calls FROM pg_stat_xact_user_functions"))
    return dict(rows.all())


def rows_written(connection, since: dict[str, int] | None = None) -> dict[str, int]:
    """The rows this session has inserted into each table of the migration's own (the counts may
    take in its last transactions, not yet reported), beyond `since`."""
    rows = connection.execute(
        text(
            "SELECT relname, n_tup_ins FROM pg_stat_xact_user_tables "
            "WHERE schemaname = 'migration_ops' OR relname = 'owner_backfill_errors'"
        )
    )
    since = since or {}
    return {name: count - since.get(name, 0) for name, count in rows if count - since.get(name, 0)}


def test_a_write_that_needs_nothing_writes_nothing_but_its_row(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_user_id=users["ann"])
    with db.begin() as connection:
        connection.exec_driver_sql("SET LOCAL track_functions = 'pl'")
        before = rows_written(connection)
        update_row(connection, table, row, name="renamed")
        # No trigger names the columns of an UPDATE that touches no owner.
        assert calls(connection) == {}
        update_row(connection, table, row, owner_user_id=users["jdoe"])
        update_row(connection, table, row, owner_username="Mary.Major")
        assert calls(connection)["sync_owner_reference_fields"] == 2
        # The counts stay as they were, the memory is not needed, and the writers' record is noted
        # at most once per path, in the session's first write of the minute.
        written = rows_written(connection, since=before)
        assert written.pop("owner_writers", 0) <= 2 and written == {}
        before = rows_written(connection)
        # An unresolved row is the one that calls the log trigger, and changes the counts.
        update_row(connection, table, row, owner_username="nobody")
        assert "log_unresolved_owner_reference" in calls(connection)
        written = rows_written(connection, since=before)
        assert written["owner_backfill_errors"] == 1 and written["coverage_counts"] == 1
        assert "owner_writes_while_off" not in written


def test_the_revisions_keep_each_triggers_state_both_ways(db, table):
    states = {
        f"{table}_owner_sync_guard": "D",
        f"{table}_owner_log_guard": "A",
        f"{table}_coverage_update": "R",
        f"{table}_coverage_insert": "D",
        f"{table}_owner_bypass_check": "A",
    }

    def current(connection):
        rows = connection.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname = ANY (:names)"),
            {"names": list(states)},
        )
        return {name: str(state) for name, state in rows}

    with db.connect() as connection:
        downgrade(connection, "0057_audit_via")
        for name, state in states.items():
            how = {"D": "DISABLE", "A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}[state]
            connection.exec_driver_sql(f"ALTER TABLE {table} {how} TRIGGER {name}")
        connection.commit()
        upgrade(connection, "head")
        assert current(connection) == states
        downgrade(connection, "0057_audit_via")
        assert current(connection) == states
        upgrade(connection, "head")
