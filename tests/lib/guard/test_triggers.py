"""Trigger state from pg_trigger, for every registered table."""

from lib.guard.triggers import trigger_states
from lib.registry import MIGRATED_TABLES


def states(engine):
    with engine.connect() as connection:
        return {state.name: state.state for state in trigger_states(connection)}


def test_every_owner_trigger_is_reported_enabled_after_the_migration(db):
    assert states(db) == {
        f"{table}_owner_{kind}_guard": "enabled" for table in MIGRATED_TABLES for kind in ("sync", "log")
    }


def test_disabled_replica_and_missing_triggers_are_told_apart(db):
    with db.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE crm_accounts DISABLE TRIGGER crm_accounts_owner_sync_guard")
        connection.exec_driver_sql(
            "ALTER TABLE crm_accounts ENABLE REPLICA TRIGGER crm_accounts_owner_log_guard"
        )
        connection.exec_driver_sql("DROP TRIGGER crm_opportunities_owner_log_guard ON crm_opportunities")
    assert states(db) == {
        "crm_accounts_owner_sync_guard": "disabled",
        "crm_accounts_owner_log_guard": "replica only",
        "crm_opportunities_owner_sync_guard": "enabled",
        "crm_opportunities_owner_log_guard": "missing",
    }
