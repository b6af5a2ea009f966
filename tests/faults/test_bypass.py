"""Writes that bypass the owner triggers. The setting that the backfill uses is refused to every
other session, and counted; what bypasses every trigger (DISABLE TRIGGER ALL, replica mode) is
found by verify and brought back to the rule by `verify --repair`; a TRUNCATE takes its error rows
along."""

from sqlalchemy import Connection, Engine, text

from lib.finish.readiness import readiness_now
from lib.guard.identity import local_identity
from lib.registry import MIGRATED_TABLES
from tests.support.cli import cli, url_of
from tests.support.crm import error_rows, unresolved_rows
from tests.support.faults import record
from tests.support.playbook import playbook_coverage
from tests.support.site import set_site_setting

# Every row whose owner_user_id is not what the rule makes of its username, with the rule
# asked once about every name.
NOT_THE_RULE = """
WITH names AS (SELECT array_agg(DISTINCT owner_username) AS given FROM {table}),
     rule AS (SELECT r.* FROM names, resolve_owner_usernames(names.given) AS r)
SELECT count(*)
FROM {table} AS t
LEFT JOIN rule AS r ON r.owner_username = t.owner_username
WHERE t.owner_user_id IS DISTINCT FROM
      CASE WHEN migration_ops.has_legacy_owner(t.owner_username) THEN r.user_id END
"""


def not_the_rule(connection: Connection) -> dict[str, int]:
    return {
        table: connection.execute(text(NOT_THE_RULE.format(table=table))).scalar_one()
        for table in MIGRATED_TABLES
    }


def counts_match_the_playbook(connection: Connection) -> bool:
    """The kept coverage counts are the playbook's step-3 figures."""
    rows = connection.execute(
        text("SELECT entity_type, sum(total_legacy), sum(resolved_fk) FROM migration_ops.coverage_counts "
             "GROUP BY entity_type")
    ).all()  # fmt: skip
    kept = {table: (legacy, resolved) for table, legacy, resolved in rows}
    return kept == {table: playbook_coverage(connection, table)[:2] for table in MIGRATED_TABLES}


def test_the_backfills_setting_from_any_other_session_is_refused_and_counted(demo_db):
    with demo_db.begin() as connection:
        row = connection.execute(
            text("SELECT min(id) FROM crm_accounts WHERE owner_user_id IS NOT NULL")
        ).scalar()
        connection.execute(text("SET LOCAL application_name = 'legacy-crm'"))
        connection.execute(text("SET LOCAL owner_migration.backfill = on"))
        connection.execute(
            text("UPDATE crm_accounts SET owner_username = 'nobody.at.all' WHERE id = :id"), {"id": row}
        )
    with demo_db.connect() as connection:
        # The sync trigger acted: no stale id; the log trigger too: its error row.
        owner = connection.execute(text("SELECT owner_user_id FROM crm_accounts WHERE id = :id"), {"id": row})
        assert owner.scalar_one() is None
        assert error_rows(connection)[("crm_accounts", row)] == ("nobody.at.all", "user_not_found")
        counted = connection.execute(
            text("SELECT entity_type, how, application_name, statements "
                 "FROM migration_ops.owner_trigger_bypasses")
        ).all()  # fmt: skip
        assert counted == [("crm_accounts", "owner_migration.backfill", "legacy-crm", 1)]
        assert counts_match_the_playbook(connection)


def probe_bypass(engine: Engine) -> None:
    """The probe's bypass script: in replica mode, legacy renames and a user who owns rows deleted;
    behind DISABLE TRIGGER ALL, more renames and ids moved to another user. (ENABLE TRIGGER ALL
    puts the bypass check back to firing outside replica mode only, so replica mode goes first.)"""
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in MIGRATED_TABLES:
            connection.execute(
                text(f"UPDATE {table} SET owner_username = upper(owner_username) || '?' "
                     f"WHERE id IN (SELECT id FROM {table} WHERE owner_user_id IS NOT NULL "
                     "ORDER BY id LIMIT 20 OFFSET 40)")
            )  # fmt: skip
        owner = connection.execute(
            text("SELECT owner_user_id FROM crm_accounts WHERE owner_user_id IS NOT NULL "
                 "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        ).scalar_one()  # fmt: skip
        connection.execute(text("DELETE FROM app_users WHERE id = :id"), {"id": owner})
    with engine.begin() as connection:
        for table in MIGRATED_TABLES:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
            connection.execute(
                text(f"UPDATE {table} SET owner_username = 'renamed.behind.' || id "
                     f"WHERE id IN (SELECT id FROM {table} WHERE owner_user_id IS NOT NULL "
                     "ORDER BY id LIMIT 20)")
            )  # fmt: skip
            connection.execute(
                text(f"UPDATE {table} SET owner_user_id = (SELECT max(id) FROM app_users) "
                     f"WHERE id IN (SELECT id FROM {table} WHERE owner_user_id IS NOT NULL "
                     "ORDER BY id DESC LIMIT 20)")
            )  # fmt: skip
            connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER ALL"))


def test_what_bypassed_every_trigger_is_found_and_repaired_to_the_rule(demo_db):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    probe_bypass(demo_db)
    with demo_db.connect() as connection:
        broken = not_the_rule(connection)
        assert all(broken.values()), broken
        replica = connection.execute(
            text(
                "SELECT sum(statements) FROM migration_ops.owner_trigger_bypasses WHERE how = 'replica mode'"
            )
        ).scalar_one()
        assert replica == len(MIGRATED_TABLES)  # each replica-mode UPDATE was seen

    found = cli("verify", database_url=url_of(demo_db))
    assert found.returncode == 1, found.stderr
    assert "dangling_id" in found.stdout and "stale_id" in found.stdout

    repaired = cli("verify", "--repair", database_url=url_of(demo_db))
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert repaired.stdout.strip().splitlines()[-1].endswith(": passed, 0 drifting rows")
    with demo_db.connect() as connection:
        assert not_the_rule(connection) == dict.fromkeys(MIGRATED_TABLES, 0)
        assert set(error_rows(connection)) == unresolved_rows(connection)
        assert counts_match_the_playbook(connection)
        audited = connection.execute(
            text(
                "SELECT actor, outcome FROM migration_ops.audit_log WHERE action = 'repair drift' ORDER BY id"
            )
        ).all()
        assert audited == [(local_identity().name, outcome) for outcome in ("started", "succeeded")]
    record("bypass writes repaired (every row equal to the rule)", f"{sum(broken.values())} rows")


def test_a_viewer_may_not_repair(demo_db):
    probe_bypass(demo_db)
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    assert cli("verify", database_url=url_of(demo_db)).returncode == 1
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", "")
    refused = cli("verify", "--repair", database_url=url_of(demo_db))
    assert refused.returncode == 2 and "is a viewer" in refused.stderr
    with demo_db.connect() as connection:
        assert all(not_the_rule(connection).values())


def test_a_truncate_takes_its_error_rows_along(demo_db):
    with demo_db.begin() as connection:
        assert any(table == "crm_opportunities" for table, _ in error_rows(connection))
        connection.execute(text("TRUNCATE crm_opportunities"))
    with demo_db.connect() as connection:
        assert set(error_rows(connection)) == unresolved_rows(connection)
        assert not any(table == "crm_opportunities" for table, _ in error_rows(connection))


def test_the_foreign_key_gate_fails_while_verify_finds_owners_that_are_gone(demo_db):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    probe_bypass(demo_db)
    assert cli("verify", database_url=url_of(demo_db)).returncode == 1
    with demo_db.connect() as connection:
        [gate] = [gate for gate in readiness_now(connection) if gate.sql_name == "gate_foreign_keys"]
    assert not gate.holds and "whose user is gone" in gate.evidence
    assert cli("verify", "--repair", database_url=url_of(demo_db)).returncode == 0
    with demo_db.connect() as connection:
        [gate] = [gate for gate in readiness_now(connection) if gate.sql_name == "gate_foreign_keys"]
    assert gate.holds, gate.evidence
