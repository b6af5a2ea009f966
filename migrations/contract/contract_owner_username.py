"""The contract migration (docs/design.md, The finish line): the legacy owner_username column goes,
once the readiness gates hold.

- It checks the gates again, here, inside its own transaction, and refuses when one fails. An
  operator may override with `-x override_readiness='<why>'`; the audit log keeps who, why and
  which gates failed. Every application is audited.
- `migration_ops.owner_username_archive` keeps every legacy username that differs from its
  owner's canonical name: the names of rows without an owner, and the spellings the backfill left
  as written.
- The read views keep their output: the owner's name from `app_users`, else the archived one.
- The sync and log triggers, the coverage-count and write-memory triggers, their functions and
  the backfill functions (all of which read the column) are dropped, and so is the column, with
  its indexes. `migration_ops.contract_dropped_objects` keeps each one's definition as
  PostgreSQL prints it, and each trigger's enabled state.

Downgrade adds the column back, fills it from the archive (else the owner's username), recreates
every kept definition in order, recounts the coverage, and drops the two tables, all in one
transaction with the version's move: killed or timed out anywhere, it leaves the database
contracted, as it was. Its indexes are built in that transaction, not CONCURRENTLY: ADD COLUMN
already holds the tables' ACCESS EXCLUSIVE lock until the commit, so a concurrent build would
shorten no wait, and would split the downgrade into steps a kill could stop between. It needs the
database: it has no offline form.

Whoever runs it in either direction is the process's real OS account (lib.guard.identity's
local_identity), never LOGNAME or USER, and must be an operator.

It lives outside migrations/versions so that `alembic upgrade head` never applies it: run
`alembic -n contract upgrade head`. Its down_revision is always the newest revision of
migrations/versions (tests/migrations/test_contract.py holds it there).

Revision ID: contract_owner_username
Revises: 0061_verify_runs_for_one_runner
"""

from alembic import context, op
from sqlalchemy import text

from lib.errors import Refused
from lib.finish.readiness import readiness, readiness_settings
from lib.guard.audit import record, record_in
from lib.guard.identity import OPERATOR, local_identity, role_of

revision = "contract_owner_username"
down_revision = "0061_verify_runs_for_one_runner"
branch_labels = None
depends_on = None

# Frozen with the revision: the console's runtime registry is lib/registry.py.
READ_VIEW_COLUMNS = {
    "crm_accounts": ("id", "name", "created_at", "updated_at"),
    "crm_opportunities": ("id", "account_id", "name", "amount", "stage", "created_at", "updated_at"),
}
TABLES = tuple(READ_VIEW_COLUMNS)
TRIGGERS = tuple(
    f"{table}_{suffix}"
    for table in TABLES
    for suffix in (
        "owner_sync_guard",
        "owner_log_guard",
        "coverage_insert",
        "coverage_update",
        "coverage_delete",
        "coverage_truncate",
        "owner_writes_insert",
        "owner_writes_update",
        "owner_bypass_check",
        "owner_errors_delete",
        "owner_errors_truncate",
    )
)
# Everything that reads owner_username, as regprocedure prints it.
FUNCTIONS = (
    "sync_owner_reference_fields()",
    "log_unresolved_owner_reference()",
    "migration_ops.count_coverage_change()",
    "migration_ops.count_coverage_row_change()",
    "migration_ops.remember_owner_write()",
    "backfill_owner_batch(text,bigint,integer)",
    "run_owner_backfill()",
    "migration_ops.reconcile_owner_writes(text,integer)",
    "migration_ops.recount_coverage(text)",
    "migration_ops.repair_owner_drift(text,bigint[])",
)
# How ALTER TABLE puts back each pg_trigger.tgenabled that CREATE TRIGGER does not give.
TRIGGER_ENABLED = {"D": "DISABLE", "A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}
ACTION = "apply contract migration"


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{value}'" for value in values) + "]::text[]"


def upgrade() -> None:
    # Writers wait from here to the commit, so that no write lands between the gates' check, the
    # archive's snapshot and the column's drop; readers go on until the drop itself.
    op.execute(f"LOCK TABLE {', '.join(TABLES)} IN SHARE MODE")
    _check_readiness()
    op.execute("""
        CREATE TABLE migration_ops.owner_username_archive (
            entity_type text NOT NULL,
            entity_id bigint NOT NULL,
            owner_username text,
            archived_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (entity_type, entity_id)
        )
    """)
    op.execute("""
        CREATE TABLE migration_ops.contract_dropped_objects (
            position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text NOT NULL,
            name text NOT NULL,
            definition text NOT NULL,
            enabled text,
            CONSTRAINT contract_dropped_objects_kind_check
                CHECK (kind IN ('function', 'trigger', 'view', 'index'))
        )
    """)
    for table in TABLES:
        op.execute(f"""
            INSERT INTO migration_ops.owner_username_archive (entity_type, entity_id, owner_username)
            SELECT '{table}', t.id, t.owner_username
            FROM {table} AS t
            LEFT JOIN app_users AS u ON u.id = t.owner_user_id
            WHERE t.owner_username IS DISTINCT FROM u.username
        """)
    op.execute(f"""
        INSERT INTO migration_ops.contract_dropped_objects (kind, name, definition)
        SELECT 'function', p.oid::regprocedure::text, pg_get_functiondef(p.oid)
        FROM pg_proc AS p
        WHERE p.oid::regprocedure::text = ANY({_array(FUNCTIONS)})
        ORDER BY p.oid
    """)
    op.execute(f"""
        INSERT INTO migration_ops.contract_dropped_objects (kind, name, definition, enabled)
        SELECT 'trigger', t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
        FROM pg_trigger AS t
        WHERE t.tgrelid = ANY(ARRAY[{", ".join(f"'{table}'::regclass" for table in TABLES)}])
          AND t.tgname = ANY({_array(TRIGGERS)})
        ORDER BY t.tgname
    """)
    for table in TABLES:
        op.execute(f"""
            INSERT INTO migration_ops.contract_dropped_objects (kind, name, definition)
            VALUES ('view', '{table}_with_owner',
                    'CREATE OR REPLACE VIEW {table}_with_owner AS '
                    || pg_get_viewdef('{table}_with_owner'::regclass))
        """)
        # The indexes that DROP COLUMN takes with it: those whose key or predicate reads the column.
        op.execute(f"""
            INSERT INTO migration_ops.contract_dropped_objects (kind, name, definition)
            SELECT DISTINCT 'index', d.objid::regclass::text, pg_get_indexdef(d.objid)
            FROM pg_depend AS d
            JOIN pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            JOIN pg_index AS i ON i.indexrelid = d.objid
            WHERE d.classid = 'pg_class'::regclass AND d.refobjid = '{table}'::regclass
              AND a.attname = 'owner_username'
        """)

    for table in TABLES:
        columns = ", ".join(f"t.{column}" for column in READ_VIEW_COLUMNS[table])
        op.execute(f"""
            CREATE OR REPLACE VIEW {table}_with_owner AS
            SELECT {columns},
                   COALESCE(u.username, a.owner_username) AS owner_username,
                   t.owner_user_id
            FROM {table} AS t
            LEFT JOIN app_users AS u ON u.id = t.owner_user_id
            LEFT JOIN migration_ops.owner_username_archive AS a
              ON a.entity_type = '{table}' AND a.entity_id = t.id
        """)
    for name in TRIGGERS:
        table = next(table for table in TABLES if name.startswith(f"{table}_"))
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    # Dropping them is this revision's purpose, behind the gates: squawk is told so, statement by
    # statement.
    for function in FUNCTIONS:
        op.execute(f"-- squawk-ignore ban-drop-function\nDROP FUNCTION IF EXISTS {function}")
    for table in TABLES:
        op.execute(f"-- squawk-ignore ban-drop-column\nALTER TABLE {table} DROP COLUMN owner_username")


def downgrade() -> None:
    if context.is_offline_mode():
        raise Refused("The contract migration's downgrade restores from the database: run it online.")
    _require_operator("roll back the contract migration")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN owner_username text")
        op.execute(f"""
            UPDATE {table} AS t
            SET owner_username = CASE WHEN a.entity_id IS NULL THEN u.username ELSE a.owner_username END
            FROM {table} AS r
            LEFT JOIN app_users AS u ON u.id = r.owner_user_id
            LEFT JOIN migration_ops.owner_username_archive AS a
              ON a.entity_type = '{table}' AND a.entity_id = r.id
            WHERE t.id = r.id AND (u.id IS NOT NULL OR a.entity_id IS NOT NULL)
        """)
    kept = op.get_bind().execute(
        text("""
            SELECT kind, name, definition, enabled FROM migration_ops.contract_dropped_objects
            ORDER BY array_position(ARRAY['function', 'trigger', 'view', 'index'], kind), position
        """)
    )
    indexes = []
    for kind, name, definition, enabled in kept:
        if kind == "index":
            indexes.append(definition)
            continue
        op.execute(definition)
        if kind == "trigger" and enabled in TRIGGER_ENABLED:
            table = next(table for table in TABLES if name.startswith(f"{table}_"))
            op.execute(f"ALTER TABLE {table} {TRIGGER_ENABLED[enabled]} TRIGGER {name}")
    for definition in indexes:
        op.execute(definition)
    for table in TABLES:
        op.execute(f"SELECT migration_ops.recount_coverage('{table}')")
    op.execute("DROP TABLE migration_ops.contract_dropped_objects")
    op.execute("DROP TABLE migration_ops.owner_username_archive")


def _require_operator(action: str) -> None:
    """Refuse unless the process's real OS account is an operator."""
    actor = local_identity("alembic")
    if role_of(actor) != OPERATOR:
        _refuse(
            f"{actor} is a viewer, so it may not {action}; operators are listed in the site's "
            "configuration (OWNER_CONSOLE_LOCAL_OPERATORS).",
            {"direction": "downgrade" if action.startswith("roll back") else "upgrade"},
        )


def _refuse(reason: str, parameters: dict) -> None:
    """Audit the refusal in a transaction of its own, which the migration's rollback keeps, and
    refuse."""
    actor = local_identity("alembic")
    record(op.get_bind().engine, actor, role_of(actor), ACTION, parameters, "refused", reason)
    raise Refused(reason)


def _check_readiness() -> None:
    """Refuse unless every readiness gate holds, or an operator overrides them; audit either way."""
    override = context.get_x_argument(as_dictionary=True).get("override_readiness", "").strip()
    actor = local_identity("alembic")
    if context.is_offline_mode():
        if not override:
            raise Refused(
                "Offline SQL cannot check the readiness gates: pass -x override_readiness='<why>' "
                "to write it anyway, with that reason in its audit entry."
            )
        op.execute(
            text("""
                INSERT INTO migration_ops.audit_log
                  (actor, actor_source, via, role, action, parameters, outcome, detail)
                VALUES (:actor, 'local', 'alembic', 'operator', :action, '{"offline": true}', 'succeeded',
                        :detail)
            """).bindparams(actor=actor.name, action=ACTION, detail=f"readiness overridden: {override}")
        )
        return
    _require_operator("apply the contract migration")
    connection = op.get_bind()
    gates = readiness(connection, readiness_settings())
    failing = [gate for gate in gates if not gate.holds]
    if failing and not override:
        _refuse(
            "The readiness gates do not hold, so the contract migration was not applied: "
            + "; ".join(f"{gate.name} ({gate.evidence})" for gate in failing)
            + ". Run `python -m lib.cli readiness`, or override with -x override_readiness='<why>'.",
            {"gates": {gate.name: gate.holds for gate in gates}},
        )
    detail = f"readiness overridden: {override}" if failing else "every readiness gate held"
    record_in(
        connection,
        actor,
        role_of(actor),
        ACTION,
        {"gates": {gate.name: gate.holds for gate in gates}, "override": override or None},
        "succeeded",
        detail,
    )
