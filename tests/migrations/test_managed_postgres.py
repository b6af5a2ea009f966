"""Managed PostgreSQL (RDS, Cloud SQL): a role that owns the CRM database and is not a superuser
runs the whole migration chain, the CLI's backfill, trigger toggles and aliases (docs/design.md, Identity).
Runs on the embedded PostgreSQL 18 and, through scripts/test-pg15, on PostgreSQL 15."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from lib.db.database import create_engine_for
from lib.db.schema import BASELINE_REVISION, current_revision, downgrade, head_revision, upgrade
from lib.demo.generator import load_demo
from lib.guard.identity import local_identity
from tests.support.cli import cli, url_of
from tests.support.database import admin_connection, password_login
from tests.support.site import set_site_setting

OWNER, PASSWORD = "crm_owner", "owner-s3cret"
TRIGGERS = (
    "crm_accounts_owner_sync_guard",
    "crm_accounts_owner_log_guard",
    "crm_opportunities_owner_sync_guard",
    "crm_opportunities_owner_log_guard",
)


@pytest.fixture
def owned_db(server_url) -> Iterator[Engine]:
    """An empty database owned by OWNER, who logs in with a password and holds no attribute."""
    owner = password_login(server_url, OWNER, PASSWORD, "NOSUPERUSER NOCREATEDB NOCREATEROLE")
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql("DROP DATABASE IF EXISTS crm_managed WITH (FORCE)")
        admin.exec_driver_sql(f"CREATE DATABASE crm_managed OWNER {OWNER} TEMPLATE template0")
    engine = create_engine_for(owner.set(database="crm_managed"))
    yield engine
    engine.dispose()
    with admin_connection(server_url) as admin:
        admin.exec_driver_sql("DROP DATABASE IF EXISTS crm_managed WITH (FORCE)")
        admin.exec_driver_sql(f"DROP ROLE IF EXISTS {OWNER}")


def trigger_states(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT tgenabled FROM pg_trigger WHERE tgname = ANY(:names)"), {"names": list(TRIGGERS)}
        )
        return {state for (state,) in rows}


def owner_of_mowners_account(engine: Engine) -> int | None:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT owner_user_id FROM crm_accounts WHERE owner_username = 'mowner'")
        ).scalar_one()


@pytest.mark.slow
def test_a_non_superuser_database_owner_migrates_backfills_toggles_triggers_and_maps_aliases(
    owned_db, monkeypatch
):
    with owned_db.connect() as connection:
        superuser = text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert connection.execute(superuser).scalar() is False
        load_demo(connection, 300, 600, skip_backfill=True)
        # The whole chain, down to the baseline and up again, initial backfill included.
        downgrade(connection, BASELINE_REVISION)
        upgrade(connection, "head", skip_backfill=True)
        assert current_revision(connection) == head_revision()
        connection.execute(text("INSERT INTO app_users (username) VALUES ('managed.owner')"))
        connection.execute(
            text("INSERT INTO crm_accounts (name, owner_username) VALUES ('Managed', 'mowner')")
        )
        connection.commit()

    url = url_of(owned_db)
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    backfill = cli("backfill", "--batch-size", "200", database_url=url)
    assert backfill.returncode == 0, backfill.stderr
    assert "succeeded" in backfill.stdout
    with owned_db.connect() as connection:
        assert connection.execute(text("SELECT count(owner_user_id) FROM crm_accounts")).scalar() > 0

    disabled = cli("triggers", "disable", "--yes", database_url=url)
    assert (disabled.returncode, trigger_states(owned_db)) == (0, {"D"}), disabled.stderr
    enabled = cli("triggers", "enable", "--yes", database_url=url)
    assert (enabled.returncode, trigger_states(owned_db)) == (0, {"O"}), enabled.stderr

    added = cli("aliases", "add", "mowner", "--username", "managed.owner", "--yes", database_url=url)
    assert added.returncode == 0, added.stderr
    assert cli("backfill", database_url=url).returncode == 0
    assert owner_of_mowners_account(owned_db) is not None
    removed = cli("aliases", "remove", "mowner", "--yes", database_url=url)
    assert (removed.returncode, owner_of_mowners_account(owned_db)) == (0, None), removed.stderr
