"""Random writes through every path, and the invariants of the write path checked after them."""

from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from lib.coverage.counts import scanned_coverage, table_coverage
from lib.registry import MIGRATED_TABLES
from tests.support.crm import (
    add_user,
    delete_row,
    error_rows,
    insert_row,
    owner_of,
    resolve,
    unresolved_rows,
    update_row,
)

USERNAMES = ["ann", "Ann", "ANN", " ann ", "bob", "BOB ", "cy", "zed", "O'Hara", "=1+1", "", "  ", None]
NEW_USERNAMES = ["ann", "Ann", "bob", "Bob", "cy", "zed", "o'hara", "new.one"]

tables = st.sampled_from(MIGRATED_TABLES)
usernames = st.sampled_from(USERNAMES)
pick = st.integers(min_value=0, max_value=40)


# Each kind of operation, drawn with equal chance.
OPERATIONS = [
    st.tuples(st.just("legacy_insert"), tables, usernames),
    st.tuples(st.just("id_insert"), tables, pick),
    st.tuples(st.just("legacy_update"), tables, pick, usernames),
    st.tuples(st.just("id_update"), tables, pick, pick),
    st.tuples(st.just("id_clear"), tables, pick),
    st.tuples(st.just("both_update"), tables, pick, pick, usernames),
    st.tuples(st.just("delete"), tables, pick),
    st.tuples(st.just("user_insert"), st.sampled_from(NEW_USERNAMES)),
    st.tuples(st.just("user_rename"), pick, st.sampled_from(NEW_USERNAMES)),
    st.tuples(st.just("backfill")),
    st.tuples(st.just("fold_counts")),
]


def check_global_invariants(connection):
    errors = error_rows(connection)
    assert set(errors) == unresolved_rows(connection)
    owners = all_owners(connection)
    for key, (username, _) in errors.items():
        assert owners[key][0] == username
    for username, user_id in owners.values():
        if user_id is not None:
            assert username is not None and username.strip(" ") != ""
    assert table_coverage(connection) == scanned_coverage(connection)


def apply(connection, operation, expect=True):
    """Perform one operation and, if `expect`, check what it alone promises (which holds only
    while every owner trigger is on and no write waits to be reconciled)."""
    kind, *args = operation
    if kind == "legacy_insert":
        table, username = args
        row = insert_row(connection, table, owner_username=username)
        if expect:
            assert owner_of(connection, table, row) == (username, resolve(connection, username).user_id)
    elif kind == "id_insert":
        table, user_index = args
        if known := users(connection):
            user = known[user_index % len(known)]
            row = insert_row(connection, table, owner_user_id=user.id)
            if expect:
                assert owner_of(connection, table, row) == (user.username, user.id)
    elif kind == "user_insert":
        (username,) = args
        with connection.begin_nested() as savepoint:
            if connection.execute(
                text("SELECT 1 FROM app_users WHERE username = :u"), {"u": username}
            ).first():
                savepoint.rollback()
                return
            add_user(connection, username)
    elif kind == "user_rename":
        user_index, username = args
        known = users(connection)
        taken = {user.username for user in known}
        if known and username not in taken:
            before = all_owners(connection)
            connection.execute(
                text("UPDATE app_users SET username = :u WHERE id = :id"),
                {"u": username, "id": known[user_index % len(known)].id},
            )
            # Referential: a rename moves no row and resolves or unresolves nothing.
            if expect:
                assert {key: owner[1] for key, owner in all_owners(connection).items()} == {
                    key: owner[1] for key, owner in before.items()
                }
    elif kind == "fold_counts":
        connection.execute(text("SELECT migration_ops.fold_coverage_counts()"))
        if expect:
            assert connection.execute(
                text("SELECT count(*) = count(DISTINCT entity_type) FROM migration_ops.coverage_counts")
            ).scalar_one()
    elif kind == "backfill":
        before = all_owners(connection)
        connection.execute(text("SELECT * FROM run_owner_backfill()"))
        after = all_owners(connection)
        for key, (username, user_id) in after.items():
            if expect:
                assert username == before[key][0]
            if before[key][1] is not None:
                if expect:
                    assert user_id == before[key][1]
            else:
                if expect:
                    assert user_id == resolve(connection, username).user_id
        for username, reason in error_rows(connection).values():
            if expect:
                assert reason == resolve(connection, username).reason
    else:
        table, row_index, *rest = args
        rows = ids(connection, table)
        if not rows:
            return
        row = rows[row_index % len(rows)]
        known = users(connection)
        if kind == "legacy_update":
            (username,) = rest
            before = owner_of(connection, table, row)
            update_row(connection, table, row, owner_username=username)
            # Writing the username it already has changes nothing, a stale-looking id included.
            expected = before if username == before[0] else (username, resolve(connection, username).user_id)
            if expect:
                assert owner_of(connection, table, row) == expected
        elif kind == "id_clear":
            before = owner_of(connection, table, row)
            update_row(connection, table, row, owner_user_id=None)
            # Clearing an id that was there clears both; on an unresolved row it changes nothing.
            if expect:
                assert owner_of(connection, table, row) == ((None, None) if before[1] else before)
        elif kind in ("id_update", "both_update") and known:
            user = known[rest[0] % len(known)]
            old_username, old_id = owner_of(connection, table, row)
            username = rest[1] if kind == "both_update" else old_username
            update_row(connection, table, row, owner_user_id=user.id, owner_username=username)
            if user.id == old_id and username != old_username:
                # The id did not change, so this is a username change: it re-resolves.
                if expect:
                    assert owner_of(connection, table, row) == (
                        username,
                        resolve(connection, username).user_id,
                    )
            elif user.id == old_id:
                if expect:
                    assert owner_of(connection, table, row) == (old_username, old_id)
            else:
                if expect:
                    assert owner_of(connection, table, row) == (user.username, user.id)
        elif kind == "delete":
            # An account that still has opportunities cannot go; that is the CRM's own rule.
            with connection.begin_nested() as savepoint:
                try:
                    delete_row(connection, table, row)
                except IntegrityError:
                    savepoint.rollback()


def ids(connection, table):
    return connection.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars().all()


def users(connection):
    return connection.execute(text("SELECT id, username FROM app_users ORDER BY id")).all()


def all_owners(connection):
    return {
        (table, row.id): (row.owner_username, row.owner_user_id)
        for table in MIGRATED_TABLES
        for row in connection.execute(text(f"SELECT id, owner_username, owner_user_id FROM {table}"))
    }
