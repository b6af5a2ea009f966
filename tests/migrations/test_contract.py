"""The contract migration (docs/design.md, The finish line): applied to the demo brought to
readiness, every read-view row stays the same and its downgrade gives back every legacy username and
every object; it refuses while a gate fails unless overridden, and the override is audited."""

import re

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from lib.db.schema import (
    CONTRACT_REVISION,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    require_current_schema,
    upgrade,
)
from lib.errors import Refused, SetupError
from lib.guard.identity import local_identity
from lib.registry import MIGRATED_TABLES
from tests.support.cli import cli, url_of
from tests.support.contract import contract, definitions, owner_data, read_views
from tests.support.finish import OPERATOR, bring_to_readiness
from tests.support.site import set_site_setting

pytestmark = pytest.mark.operators(OPERATOR.name)


def counts(connection: Connection) -> list:
    return connection.execute(
        text("""
            SELECT entity_type, sum(total_legacy), sum(resolved_fk) FROM migration_ops.coverage_counts
            GROUP BY entity_type ORDER BY entity_type
        """)
    ).all()


def test_it_sits_on_the_newest_revision():
    scripts = ScriptDirectory.from_config(alembic_config(contract=True))
    assert scripts.get_revision(CONTRACT_REVISION).down_revision == head_revision()
    assert scripts.get_current_head() == CONTRACT_REVISION


def test_on_the_ready_demo_it_keeps_every_view_row_and_its_downgrade_every_legacy_username(demo_db):
    bring_to_readiness(demo_db)
    assert cli("readiness", database_url=url_of(demo_db)).returncode == 0
    with demo_db.connect() as connection:
        views, legacy, objects, kept_counts = (
            read_views(connection),
            owner_data(connection),
            definitions(connection),
            counts(connection),
        )
        archived_rows = sum(
            connection.execute(
                text(f"""
                    SELECT count(*) FROM {table} AS t LEFT JOIN app_users AS u ON u.id = t.owner_user_id
                    WHERE t.owner_username IS DISTINCT FROM u.username
                """)
            ).scalar_one()
            for table in MIGRATED_TABLES
        )
        upgrade(connection, "head", contract=True)
        assert current_revision(connection) == CONTRACT_REVISION
        assert read_views(connection) == views
        columns = connection.execute(
            text("SELECT count(*) FROM information_schema.columns WHERE column_name = 'owner_username' "
                 "AND table_name = ANY(:tables)"),
            {"tables": list(MIGRATED_TABLES)},
        ).scalar_one()  # fmt: skip
        assert columns == 0
        archive = connection.execute(text("SELECT count(*) FROM migration_ops.owner_username_archive"))
        assert archive.scalar_one() == archived_rows > 0
        entry = connection.execute(
            text("SELECT detail, parameters FROM migration_ops.audit_log "
                 "WHERE action = 'apply contract migration'")
        ).one()  # fmt: skip
        assert entry.detail == "every readiness gate held"
        assert set(entry.parameters["gates"].values()) == {True}

        # New-path writes go on after it.
        connection.execute(text("UPDATE crm_accounts SET owner_user_id = 1 WHERE id = 10"))
        connection.commit()
        views["crm_accounts"] = read_views(connection)["crm_accounts"]

        downgrade(connection, "-1", contract=True)
        assert current_revision(connection) == head_revision()
        restored = owner_data(connection)
        canonical = connection.execute(text("SELECT username FROM app_users WHERE id = 1")).scalar_one()
        legacy["crm_accounts"] = [
            (row_id, canonical, 1) if row_id == 10 else (row_id, username, user_id)
            for row_id, username, user_id in legacy["crm_accounts"]
        ]
        assert restored == legacy
        assert read_views(connection) == views
        assert definitions(connection) == objects
        assert counts(connection) == kept_counts
        tables_left = connection.execute(
            text("SELECT to_regclass('migration_ops.owner_username_archive'), "
                 "to_regclass('migration_ops.contract_dropped_objects')")
        ).one()  # fmt: skip
        assert tables_left == (None, None)


def test_it_refuses_while_a_gate_fails_and_the_override_is_audited(demo_db):
    with demo_db.connect() as connection:
        with pytest.raises(
            Refused, match="Coverage of crm_accounts held at or above 99% \\(below the target"
        ):
            contract(connection)
        connection.rollback()
        assert current_revision(connection) == head_revision()
        contract(connection, override="the legacy API is retired; INC-42")
        assert current_revision(connection) == CONTRACT_REVISION
        refused, entry = connection.execute(
            text("SELECT actor_source, via, outcome, detail, parameters FROM migration_ops.audit_log "
                 "WHERE action = 'apply contract migration' ORDER BY id")
        ).all()  # fmt: skip
    assert refused.outcome == "refused" and refused.detail.startswith("The readiness gates do not hold")
    assert (entry.actor_source, entry.via) == ("local", "alembic")
    assert entry.detail == "readiness overridden: the legacy API is retired; INC-42"
    assert entry.parameters["gates"]["Coverage of crm_accounts held at or above 99%"] is False
    assert entry.parameters["override"] == "the legacy API is retired; INC-42"


def test_the_console_says_the_migration_is_finished(demo_db):
    with demo_db.connect() as connection:
        contract(connection, override="test")
    with pytest.raises(SetupError, match="has had its contract migration: owner_username is gone"):
        require_current_schema(demo_db)
    result = cli("status", database_url=url_of(demo_db))
    assert result.returncode == 2
    assert "alembic -n contract downgrade -1" in result.stderr


def test_a_viewer_may_neither_apply_nor_roll_it_back_whatever_logname_says(demo_db, monkeypatch):
    """The actor is the process's real OS account: LOGNAME and USER say whatever they are set to."""
    monkeypatch.setenv("DATABASE_URL", url_of(demo_db))  # not the embedded demo: the site decides
    monkeypatch.setenv("LOGNAME", OPERATOR.name)
    monkeypatch.setenv("USER", OPERATOR.name)
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", OPERATOR.name)
    with demo_db.connect() as connection:
        with pytest.raises(Refused, match=re.escape(f"{local_identity()} is a viewer")):
            contract(connection, override="I say I am the lead")
        connection.rollback()
        assert current_revision(connection) == head_revision()
        entry = connection.execute(
            text(
                "SELECT actor, outcome FROM migration_ops.audit_log WHERE action = 'apply contract migration'"
            )
        ).one()
        assert (entry.actor, entry.outcome) == (local_identity().name, "refused")

        set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
        contract(connection, override="the real operator")
        set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", "")
        with pytest.raises(Refused, match="may not roll back the contract migration"):
            downgrade(connection, "-1", contract=True)
        connection.rollback()
        assert current_revision(connection) == CONTRACT_REVISION
