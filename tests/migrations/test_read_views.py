"""The read views: owner_username is COALESCE(app_users.username, legacy text), plus owner_user_id."""

import pytest
from sqlalchemy import text

from lib.registry import MIGRATED_TABLES
from tests.support.crm import add_user, insert_row

pytestmark = pytest.mark.parametrize("table", MIGRATED_TABLES)


def read(connection, table, row):
    return tuple(
        connection.execute(
            text(f"SELECT owner_username, owner_user_id FROM {table}_with_owner WHERE id = :id"), {"id": row}
        ).one()
    )


def test_read_view_shows_the_users_canonical_name(db, table):
    with db.begin() as connection:
        user = add_user(connection, "Mary.Major")
        row = insert_row(connection, table, owner_username="  MARY.MAJOR ")
        assert read(connection, table, row) == ("Mary.Major", user)


def test_read_view_shows_the_legacy_text_of_an_unresolved_row(db, table):
    with db.begin() as connection:
        row = insert_row(connection, table, owner_username="ghost ")
        assert read(connection, table, row) == ("ghost ", None)


def test_read_view_follows_a_renamed_user(db, table):
    with db.begin() as connection:
        user = add_user(connection, "jdoe")
        row = insert_row(connection, table, owner_username="jdoe")
        connection.execute(text("UPDATE app_users SET username = 'john.doe' WHERE id = :id"), {"id": user})
        assert read(connection, table, row) == ("john.doe", user)


def test_read_view_keeps_every_row_and_column_of_the_table(demo_db, table):
    with demo_db.connect() as connection:
        base = connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings().all()
        view = connection.execute(text(f"SELECT * FROM {table}_with_owner ORDER BY id")).mappings().all()
    assert len(view) == len(base)
    assert set(view[0]) == set(base[0])
    for base_row, view_row in zip(base, view, strict=True):
        assert {k: v for k, v in view_row.items() if k != "owner_username"} == {
            k: v for k, v in base_row.items() if k != "owner_username"
        }
