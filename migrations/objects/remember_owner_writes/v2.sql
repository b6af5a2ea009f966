-- The rows written to a migrated table while its sync or log trigger does not fire (the playbook's
-- rollback, from the console or by hand in psql), each with what the write changed, kept in
-- migration_ops.owner_writes_while_off for the next backfill run to reconcile.
--
-- v2: also writes down who wrote owner fields in this statement, and by which path, in
-- migration_ops.owner_writers: one row per statement that wrote any. While the sync trigger fires,
-- it counted the rows (count_owner_write); while it does not, the remembered writes say it.
--
-- A statement-level trigger over the transition tables, which the coverage-count triggers of the
-- same statement share: while the owner triggers are on, its cost is one catalog lookup per
-- statement, and one insert when the statement wrote an owner. TG_ARGV holds the table's sync and
-- log trigger names. Writes of a backfill (any path) are not remembered, since they follow the
-- rule themselves: the triggers' WHEN skips them.
CREATE OR REPLACE FUNCTION migration_ops.remember_owner_writes()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_entity_type text := TG_TABLE_NAME;
  v_sync_off boolean;
  v_legacy bigint := coalesce(nullif(current_setting('owner_migration.legacy_writes', true), ''), '0')::bigint;
  v_new bigint := coalesce(nullif(current_setting('owner_migration.new_writes', true), ''), '0')::bigint;
  v_off_legacy bigint := 0;
  v_off_new bigint := 0;
  v_reset text;
BEGIN
  IF EXISTS (
    -- O and A fire for ordinary sessions; D is disabled, R fires only in replica sessions.
    SELECT 1 FROM pg_trigger AS t
    WHERE t.tgrelid = TG_RELID AND t.tgname IN (TG_ARGV[0], TG_ARGV[1]) AND t.tgenabled NOT IN ('O', 'A')
  ) THEN
    v_sync_off := EXISTS (
      SELECT 1 FROM pg_trigger AS t
      WHERE t.tgrelid = TG_RELID AND t.tgname = TG_ARGV[0] AND t.tgenabled NOT IN ('O', 'A')
    );
    IF TG_OP = 'INSERT' THEN
      -- An insert that names a user is an id write (the id wins); one that names only a username
      -- is a legacy write; one with neither has nothing to reconcile.
      WITH remembered AS (
        INSERT INTO migration_ops.owner_writes_while_off
          (entity_type, entity_id, kind, owner_username, owner_user_id)
        SELECT v_entity_type, n.id,
               CASE WHEN n.owner_user_id IS NULL THEN 'username' ELSE 'user_id' END,
               n.owner_username, n.owner_user_id
        FROM new_rows AS n
        WHERE n.owner_user_id IS NOT NULL OR n.owner_username IS NOT NULL
        RETURNING kind
      )
      SELECT count(*) FILTER (WHERE kind = 'username'), count(*) FILTER (WHERE kind = 'user_id')
      INTO v_off_legacy, v_off_new FROM remembered;
    ELSIF TG_OP = 'UPDATE' THEN
      WITH remembered AS (
        INSERT INTO migration_ops.owner_writes_while_off
          (entity_type, entity_id, kind, owner_username, owner_user_id, owner_username_before, owner_user_id_before)
        SELECT v_entity_type, n.id,
               CASE WHEN n.owner_user_id IS DISTINCT FROM o.owner_user_id THEN 'user_id' ELSE 'username' END,
               n.owner_username, n.owner_user_id, o.owner_username, o.owner_user_id
        FROM new_rows AS n
        JOIN old_rows AS o ON o.id = n.id
        WHERE n.owner_user_id IS DISTINCT FROM o.owner_user_id
           OR n.owner_username IS DISTINCT FROM o.owner_username
        RETURNING kind
      )
      SELECT count(*) FILTER (WHERE kind = 'username'), count(*) FILTER (WHERE kind = 'user_id')
      INTO v_off_legacy, v_off_new FROM remembered;
    ELSE
      INSERT INTO migration_ops.owner_writes_while_off
        (entity_type, entity_id, kind, owner_username_before, owner_user_id_before)
      SELECT v_entity_type, o.id, 'deleted', o.owner_username, o.owner_user_id
      FROM old_rows AS o;
    END IF;
    IF v_sync_off THEN  -- else the sync trigger counted them, by what the client wrote
      v_legacy := v_legacy + v_off_legacy;
      v_new := v_new + v_off_new;
    END IF;
  END IF;

  IF v_legacy > 0 OR v_new > 0 THEN
    INSERT INTO migration_ops.owner_writers
      (entity_type, application_name, role, legacy_writes, new_writes, last_legacy_at, last_new_at)
    VALUES (v_entity_type, current_setting('application_name'), current_user, v_legacy, v_new,
            CASE WHEN v_legacy > 0 THEN now() END, CASE WHEN v_new > 0 THEN now() END);
    v_reset := set_config('owner_migration.legacy_writes', '', true);
    v_reset := set_config('owner_migration.new_writes', '', true);
  END IF;
  RETURN NULL;
END
$$
