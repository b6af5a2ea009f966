"""What the console says about a database that is not at head, and the revisions it knows."""

import pytest
from sqlalchemy import text

from lib.db.schema import BASELINE_REVISION, head_revision, require_current_schema, upgrade
from lib.errors import SetupError


def test_a_database_at_head_is_accepted(db):
    assert require_current_schema(db) == head_revision()


def test_a_never_migrated_database_is_named_with_what_to_run(empty_db):
    with pytest.raises(SetupError) as caught:
        require_current_schema(empty_db)
    database = empty_db.url.database
    assert str(caught.value) == (
        f"The database {database} on {empty_db.url.query['host']} has not been migrated: run "
        f"`alembic upgrade head` (a database that already holds the CRM tables runs "
        f"`alembic stamp {BASELINE_REVISION}` first)."
    )


def test_a_database_behind_head_is_told_to_upgrade(empty_db):
    with empty_db.connect() as connection:
        upgrade(connection, BASELINE_REVISION)
    with pytest.raises(SetupError, match=f"is at revision {BASELINE_REVISION}, but this console needs"):
        require_current_schema(empty_db)


def test_an_unknown_revision_is_named(db):
    with db.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(
        SetupError, match="at revision 0099_from_the_future, which this console does not know"
    ):
        require_current_schema(db)
