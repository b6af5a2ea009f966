"""The sync and log triggers: every row of the write-path table in docs/design.md, on every migrated table."""

import pytest
from sqlalchemy.exc import IntegrityError

from lib.registry import MIGRATED_TABLES
from tests.support.crm import (
    add_user,
    delete_row,
    error_rows,
    insert_row,
    owner_of,
    unresolved_rows,
    update_row,
)

pytestmark = pytest.mark.parametrize("table", MIGRATED_TABLES)


@pytest.fixture
def users(db):
    with db.begin() as connection:
        return {name: add_user(connection, name) for name in ("jdoe", "JDoe", "Mary.Major", "ann")}


def test_insert_with_user_id_sets_the_canonical_username(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_user_id=users["Mary.Major"])
        assert owner_of(connection, table, row) == ("Mary.Major", users["Mary.Major"])


def test_insert_with_only_a_username_resolves_the_id(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username=" mary.major ")
        # The legacy text is kept as written; only the id is filled.
        assert owner_of(connection, table, row) == (" mary.major ", users["Mary.Major"])
        assert error_rows(connection) == {}


def test_insert_with_an_unknown_username_keeps_it_and_logs_it(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="ghost")
        assert owner_of(connection, table, row) == ("ghost", None)
        assert error_rows(connection) == {(table, row): ("ghost", "user_not_found")}


def test_insert_with_an_ambiguous_username_logs_the_reason(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="JDOE")
        assert owner_of(connection, table, row) == ("JDOE", None)
        assert error_rows(connection) == {(table, row): ("JDOE", "ambiguous_username")}


def test_insert_with_a_blank_username_is_not_an_error(db, users, table):
    with db.begin() as connection:
        for blank in (None, "", "  "):
            insert_row(connection, table, owner_username=blank)
        assert error_rows(connection) == {}


def test_insert_with_disagreeing_id_and_username_keeps_the_id(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_user_id=users["ann"], owner_username="jdoe")
        assert owner_of(connection, table, row) == ("ann", users["ann"])


def test_insert_with_an_unknown_user_id_is_refused(db, users, table):
    with pytest.raises(IntegrityError, match="owner_user_id_fkey"), db.begin() as connection:
        insert_row(connection, table, owner_user_id=999_999)


def test_update_of_the_id_makes_the_username_follow(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="jdoe")
        update_row(connection, table, row, owner_user_id=users["ann"])
        assert owner_of(connection, table, row) == ("ann", users["ann"])


def test_update_of_the_id_to_null_clears_both(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="jdoe")
        update_row(connection, table, row, owner_user_id=None)
        assert owner_of(connection, table, row) == (None, None)
        assert error_rows(connection) == {}


def test_legacy_username_update_resolves_the_new_owner(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="jdoe")
        update_row(connection, table, row, owner_username="ANN ")
        assert owner_of(connection, table, row) == ("ANN ", users["ann"])


def test_legacy_username_update_drops_stale_id(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="jdoe")
        update_row(connection, table, row, owner_username="somebody.else")
        assert owner_of(connection, table, row) == ("somebody.else", None)
        assert error_rows(connection) == {(table, row): ("somebody.else", "user_not_found")}


def test_update_with_disagreeing_id_and_username_keeps_the_id(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="jdoe")
        update_row(connection, table, row, owner_user_id=users["ann"], owner_username="Mary.Major")
        assert owner_of(connection, table, row) == ("ann", users["ann"])


def test_update_of_other_columns_leaves_the_owner_alone(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username=" jdoe")
        update_row(connection, table, row, name="renamed")
        assert owner_of(connection, table, row) == (" jdoe", users["jdoe"])


def test_resolving_an_unresolved_row_removes_its_error(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="ghost")
        update_row(connection, table, row, owner_username="jdoe")
        assert error_rows(connection) == {}


def test_deleting_an_unresolved_row_removes_its_error(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="ghost")
        delete_row(connection, table, row)
        assert error_rows(connection) == {}


def test_an_unresolved_username_changed_again_updates_its_error(db, users, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="ghost")
        update_row(connection, table, row, owner_username="JDOE")
        assert error_rows(connection) == {(table, row): ("JDOE", "ambiguous_username")}


def test_a_resolvable_row_written_with_the_sync_trigger_off_is_pending_backfill(db, users, table):
    with db.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_owner_sync_guard")
        row = insert_row(connection, table, owner_username="jdoe")
        assert owner_of(connection, table, row) == ("jdoe", None)
        assert error_rows(connection) == {(table, row): ("jdoe", "pending_backfill")}
        assert unresolved_rows(connection) == {(table, row)}
