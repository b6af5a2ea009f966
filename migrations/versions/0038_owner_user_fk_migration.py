"""The playbook's 0038_owner_user_fk_migration: owner_user_id beside owner_username.

Adds `owner_user_id -> app_users.id` (NOT VALID; 0039 validates it), its indexes (CONCURRENTLY),
`owner_backfill_errors`, the one resolution rule, the backfill, the sync and log triggers and the
read views, then runs the initial backfill. `-x skip_backfill=true` defers that backfill to the
batched runner, for big tables.

Downgrade removes the triggers, functions and views only: every owner_user_id value and every
owner_backfill_errors row stays, as the playbook's rollback asks. Upgrading again is safe.

Revision ID: 0038_owner_user_fk_migration
Revises: 0037_crm_baseline
"""

from alembic import context, op
from sqlalchemy import text

revision = "0038_owner_user_fk_migration"
down_revision = "0037_crm_baseline"
branch_labels = None
depends_on = None

# The tables this revision migrates, and their columns in the read views. Frozen with the
# revision: the console's runtime registry is lib/registry.py.
READ_VIEW_COLUMNS = {
    "crm_accounts": ("id", "name", "created_at", "updated_at"),
    "crm_opportunities": ("id", "account_id", "name", "amount", "stage", "created_at", "updated_at"),
}
TABLES = tuple(READ_VIEW_COLUMNS)
TABLES_SQL_ARRAY = "ARRAY[" + ", ".join(f"'{table}'" for table in TABLES) + "]"

CREATE_ERRORS_TABLE = """
CREATE TABLE IF NOT EXISTS owner_backfill_errors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_type text NOT NULL,
    entity_id bigint NOT NULL,
    owner_username text NOT NULL,
    reason text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT owner_backfill_errors_entity_key UNIQUE (entity_type, entity_id),
    CONSTRAINT owner_backfill_errors_reason_check
        CHECK (reason IN ('user_not_found', 'ambiguous_username', 'pending_backfill'))
)
"""

# The resolution rule, the only copy. Trim; an exact match wins; otherwise exactly one
# case-insensitive match; otherwise unresolved with a reason. Blank or NULL is no owner at all.
CREATE_RESOLVE_FUNCTION = """
CREATE OR REPLACE FUNCTION resolve_owner_username(p_username text)
RETURNS TABLE (user_id bigint, match_kind text, reason text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT
    coalesce(exact.id, folded.only_id) AS user_id,
    CASE
      WHEN candidate.name = '' THEN 'blank'
      WHEN exact.id IS NOT NULL THEN 'exact'
      WHEN folded.matches = 1 THEN 'case_insensitive'
      WHEN folded.matches > 1 THEN 'ambiguous'
      ELSE 'not_found'
    END AS match_kind,
    CASE
      WHEN candidate.name = '' OR exact.id IS NOT NULL OR folded.matches = 1 THEN NULL
      WHEN folded.matches > 1 THEN 'ambiguous_username'
      ELSE 'user_not_found'
    END AS reason
  FROM (SELECT coalesce(btrim(p_username), '') AS name) AS candidate
  LEFT JOIN app_users AS exact ON exact.username = candidate.name
  CROSS JOIN LATERAL (
    SELECT count(*) AS matches, CASE WHEN count(*) = 1 THEN min(u.id) END AS only_id
    FROM app_users AS u
    WHERE exact.id IS NULL AND candidate.name <> '' AND lower(u.username) = lower(candidate.name)
  ) AS folded
$$
"""

# Write path. owner_migration.backfill is on only inside backfill_owner_batch(), which fills
# owner_user_id only, keeps the legacy text exactly as written, and keeps the errors itself.
CREATE_SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION sync_owner_reference_fields()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_username text;
BEGIN
  IF current_setting('owner_migration.backfill', true) = 'on' THEN
    RETURN NEW;
  END IF;

  IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS NOT DISTINCT FROM OLD.owner_user_id THEN
    IF NEW.owner_username IS DISTINCT FROM OLD.owner_username THEN
      -- A legacy client changed only the username: re-resolve, never keep a stale id.
      NEW.owner_user_id := (SELECT r.user_id FROM resolve_owner_username(NEW.owner_username) AS r);
    END IF;
    RETURN NEW;
  END IF;

  IF NEW.owner_user_id IS NOT NULL THEN
    -- The id wins; the username becomes the canonical one. An unknown id is left to the FK.
    SELECT u.username INTO v_username FROM app_users AS u WHERE u.id = NEW.owner_user_id;
    IF FOUND THEN
      NEW.owner_username := v_username;
    END IF;
  ELSIF TG_OP = 'UPDATE' THEN
    NEW.owner_username := NULL;
  ELSE
    NEW.owner_user_id := (SELECT r.user_id FROM resolve_owner_username(NEW.owner_username) AS r);
  END IF;
  RETURN NEW;
END
$$
"""

# Keeps owner_backfill_errors equal to the unresolved rows. pending_backfill marks a row whose
# username resolves now but whose id is not filled (the sync trigger was off when it was written).
CREATE_LOG_FUNCTION = """
CREATE OR REPLACE FUNCTION log_unresolved_owner_reference()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  -- A text variable: compared directly, TG_TABLE_NAME (type name) defeats the unique index.
  v_entity_type text := TG_TABLE_NAME;
  v_reason text;
BEGIN
  IF current_setting('owner_migration.backfill', true) = 'on' THEN
    RETURN NULL;
  END IF;

  IF TG_OP = 'DELETE' THEN
    DELETE FROM owner_backfill_errors
    WHERE entity_type = v_entity_type AND entity_id = OLD.id;
  ELSIF NEW.owner_user_id IS NULL AND btrim(NEW.owner_username) <> '' THEN
    SELECT coalesce(r.reason, 'pending_backfill') INTO v_reason
    FROM resolve_owner_username(NEW.owner_username) AS r;
    INSERT INTO owner_backfill_errors (entity_type, entity_id, owner_username, reason)
    VALUES (v_entity_type, NEW.id, NEW.owner_username, v_reason)
    ON CONFLICT (entity_type, entity_id) DO UPDATE
      SET owner_username = EXCLUDED.owner_username,
          reason = EXCLUDED.reason,
          last_seen_at = now();
  ELSIF TG_OP = 'UPDATE' THEN
    DELETE FROM owner_backfill_errors
    WHERE entity_type = v_entity_type AND entity_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$
"""

# One keyset batch: the rows with id in (p_after_id, next p_batch_size ids]. A NULL size takes
# every remaining row. Resolves what it can, upserts the rest into owner_backfill_errors with a
# fresh reason, and deletes the error rows of that key range whose entity is no longer
# unresolved. The last, short batch reconciles every key above p_after_id.
CREATE_BATCH_FUNCTION = f"""
CREATE OR REPLACE FUNCTION backfill_owner_batch(p_table text, p_after_id bigint, p_batch_size integer)
RETURNS TABLE (last_id bigint, scanned bigint, resolved bigint, unresolved bigint)
LANGUAGE plpgsql
AS $fn$
DECLARE
  -- The triggers stand aside for this call only. Set here, not by a SET clause on the function:
  -- PostgreSQL 15+ lets only a superuser attach an unregistered parameter to a function.
  v_outside text := current_setting('owner_migration.backfill', true);
BEGIN
  IF p_table IS NULL OR p_table <> ALL ({TABLES_SQL_ARRAY}) THEN
    RAISE EXCEPTION 'backfill_owner_batch: % is not a migrated table', p_table
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_batch_size < 1 THEN
    RAISE EXCEPTION 'backfill_owner_batch: batch size must be at least 1, got %', p_batch_size
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  PERFORM set_config('owner_migration.backfill', 'on', true);
  RETURN QUERY EXECUTE format($q$
    WITH batch AS (
      SELECT t.id FROM %1$I AS t
      WHERE t.id > $1
      ORDER BY t.id
      LIMIT $2
    ), bounds AS (
      SELECT max(id) AS last_id, count(*) AS scanned FROM batch
    ), pending AS (
      -- Locked, so that a concurrent writer and this batch never interleave on a row.
      SELECT t.id, t.owner_username, r.user_id, r.reason
      FROM %1$I AS t
      CROSS JOIN LATERAL resolve_owner_username(t.owner_username) AS r
      WHERE t.id > $1 AND t.id <= (SELECT b.last_id FROM bounds AS b)
        AND t.owner_user_id IS NULL AND btrim(t.owner_username) <> ''
      FOR NO KEY UPDATE OF t
    ), fixed AS (
      UPDATE %1$I AS t SET owner_user_id = p.user_id
      FROM pending AS p
      WHERE t.id = p.id AND p.user_id IS NOT NULL
      RETURNING t.id
    ), logged AS (
      INSERT INTO owner_backfill_errors AS e (entity_type, entity_id, owner_username, reason)
      SELECT $3, p.id, p.owner_username, p.reason FROM pending AS p WHERE p.user_id IS NULL
      ON CONFLICT (entity_type, entity_id) DO UPDATE
        SET owner_username = EXCLUDED.owner_username,
            reason = EXCLUDED.reason,
            last_seen_at = now()
      RETURNING e.entity_id
    ), cleared AS (
      DELETE FROM owner_backfill_errors AS e
      WHERE e.entity_type = $3 AND e.entity_id > $1
        AND (e.entity_id <= (SELECT b.last_id FROM bounds AS b)
             OR $2 IS NULL OR (SELECT b.scanned FROM bounds AS b) < $2)
        AND (e.entity_id IN (SELECT f.id FROM fixed AS f)
             OR NOT EXISTS (
               SELECT 1 FROM %1$I AS t
               WHERE t.id = e.entity_id
                 AND t.owner_user_id IS NULL AND btrim(t.owner_username) <> ''))
      RETURNING e.entity_id
    )
    SELECT b.last_id, b.scanned,
           (SELECT count(*) FROM fixed), (SELECT count(*) FROM logged)
    FROM bounds AS b
  $q$, p_table)
  USING coalesce(p_after_id, '-9223372036854775808'::bigint), p_batch_size, p_table;
  -- Restored for the rest of the caller's transaction; an error rolls the setting back anyway.
  PERFORM set_config('owner_migration.backfill', coalesce(v_outside, ''), true);
END
$fn$
"""

# The playbook's single-statement backfill: every migrated table in one pass.
CREATE_RUN_FUNCTION = f"""
CREATE OR REPLACE FUNCTION run_owner_backfill()
RETURNS TABLE (entity_type text, scanned bigint, resolved bigint, unresolved bigint)
LANGUAGE plpgsql
AS $fn$
DECLARE
  v_table text;
BEGIN
  FOREACH v_table IN ARRAY {TABLES_SQL_ARRAY} LOOP
    RETURN QUERY
      SELECT v_table, b.scanned, b.resolved, b.unresolved
      FROM backfill_owner_batch(v_table, NULL, NULL) AS b;
  END LOOP;
END
$fn$
"""


def _create_read_view(table: str) -> str:
    columns = ", ".join(f"t.{column}" for column in READ_VIEW_COLUMNS[table])
    return f"""
        CREATE OR REPLACE VIEW {table}_with_owner AS
        SELECT {columns},
               COALESCE(u.username, t.owner_username) AS owner_username,
               t.owner_user_id
        FROM {table} AS t
        LEFT JOIN app_users AS u ON u.id = t.owner_user_id
    """


def _indexes() -> list[tuple[str, str]]:
    indexes = [("app_users_username_lower_idx", "app_users (lower(username))")]
    for table in TABLES:
        indexes.append((f"{table}_owner_user_id_idx", f"{table} (owner_user_id)"))
        # What the unresolved count reads: the coverage denominator's rows still without an id.
        indexes.append(
            (
                f"{table}_owner_unresolved_idx",
                f"{table} (id) WHERE owner_user_id IS NULL AND btrim(owner_username) <> ''",
            )
        )
    return indexes


def _skip_backfill() -> bool:
    value = context.get_x_argument(as_dictionary=True).get("skip_backfill", "false")
    return value.strip().lower() in ("1", "true", "yes", "on")


def _constraint_exists(name: str) -> bool:
    # Offline SQL is for a database that never ran this revision.
    if context.is_offline_mode():
        return False
    found = op.get_bind().execute(text("SELECT 1 FROM pg_constraint WHERE conname = :name"), {"name": name})
    return found.first() is not None


def _drop_if_invalid(index: str) -> None:
    # A CONCURRENTLY build that failed leaves an INVALID index that IF NOT EXISTS would keep.
    if context.is_offline_mode():
        return
    invalid = op.get_bind().execute(
        text("""
            SELECT 1 FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
            WHERE c.relname = :name AND NOT i.indisvalid
        """),
        {"name": index},
    )
    if invalid.first() is not None:
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS owner_user_id bigint")
        if not _constraint_exists(f"{table}_owner_user_id_fkey"):
            op.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_owner_user_id_fkey "
                "FOREIGN KEY (owner_user_id) REFERENCES app_users (id) NOT VALID"
            )
    op.execute(CREATE_ERRORS_TABLE)

    with op.get_context().autocommit_block():
        for name, definition in _indexes():
            _drop_if_invalid(name)
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")

    for function in (
        CREATE_RESOLVE_FUNCTION,
        CREATE_SYNC_FUNCTION,
        CREATE_LOG_FUNCTION,
        CREATE_BATCH_FUNCTION,
        CREATE_RUN_FUNCTION,
    ):
        op.execute(function)
    for table in TABLES:
        op.execute(f"""
            CREATE OR REPLACE TRIGGER {table}_owner_sync_guard
            BEFORE INSERT OR UPDATE OF owner_username, owner_user_id ON {table}
            FOR EACH ROW EXECUTE FUNCTION sync_owner_reference_fields()
        """)
        op.execute(f"""
            CREATE OR REPLACE TRIGGER {table}_owner_log_guard
            AFTER INSERT OR UPDATE OF owner_username, owner_user_id OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION log_unresolved_owner_reference()
        """)
        op.execute(_create_read_view(table))

    if not _skip_backfill():
        # Its own transaction, after the schema has committed.
        with op.get_context().autocommit_block():
            op.execute("SELECT * FROM run_owner_backfill()")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP VIEW IF EXISTS {table}_with_owner")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_owner_log_guard ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_owner_sync_guard ON {table}")
    op.execute("DROP FUNCTION IF EXISTS run_owner_backfill()")
    op.execute("DROP FUNCTION IF EXISTS backfill_owner_batch(text, bigint, integer)")
    op.execute("DROP FUNCTION IF EXISTS log_unresolved_owner_reference()")
    op.execute("DROP FUNCTION IF EXISTS sync_owner_reference_fields()")
    op.execute("DROP FUNCTION IF EXISTS resolve_owner_username(text)")
