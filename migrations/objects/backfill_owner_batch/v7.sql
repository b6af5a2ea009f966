-- v7: as v6, but the batch keeps the coverage counts itself, with one row for the ids it sets: the
-- row-level count trigger (0058) skips a batch's rows, marked by owner_migration.counted_by_batch,
-- which it honours only while the triggers stand aside for this transaction.
CREATE OR REPLACE FUNCTION backfill_owner_batch(p_table text, p_after_id bigint, p_batch_size integer)
RETURNS TABLE (last_id bigint, scanned bigint, resolved bigint, unresolved bigint)
LANGUAGE plpgsql
AS $fn$
DECLARE
  -- The triggers stand aside for this call only. Set here, not by a SET clause on the function:
  -- PostgreSQL 15+ lets only a superuser attach an unregistered parameter to a function.
  v_outside text := current_setting('owner_migration.backfill', true);
  v_after_id bigint := coalesce(p_after_id, '-9223372036854775808'::bigint);
  v_last_id bigint;
  v_scanned bigint;
  v_usernames_pending text[];
  v_resolved bigint;
  v_unresolved bigint;
  v_ids bigint[];
  v_usernames text[];
  v_reasons text[];
BEGIN
  IF p_table IS NULL OR p_table <> ALL (@MIGRATED_TABLES@) THEN
    RAISE EXCEPTION 'backfill_owner_batch: % is not a migrated table', p_table
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_batch_size < 1 THEN
    RAISE EXCEPTION 'backfill_owner_batch: batch size must be at least 1, got %', p_batch_size
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  PERFORM migration_ops.lock_alias_rule(false);
  PERFORM migration_ops.stand_owner_triggers_aside();
  PERFORM set_config('owner_migration.counted_by_batch', 'on', true);
  EXECUTE format($q$
    SELECT max(b.id), count(*),
           array_agg(b.owner_username)
             FILTER (WHERE b.owner_user_id IS NULL AND migration_ops.has_legacy_owner(b.owner_username))
    FROM (
      SELECT t.id, t.owner_username, t.owner_user_id FROM %1$I AS t
      WHERE t.id > $1
      ORDER BY t.id
      LIMIT $2
    ) AS b
  $q$, p_table)
  INTO v_last_id, v_scanned, v_usernames_pending
  USING v_after_id, p_batch_size;
  v_usernames_pending := ARRAY(SELECT DISTINCT given FROM unnest(v_usernames_pending) AS given);

  EXECUTE format($q$
    WITH resolution AS MATERIALIZED (
      SELECT r.owner_username, r.user_id, r.reason FROM resolve_owner_usernames($3) AS r
    ), fixed AS (
      UPDATE %1$I AS t SET owner_user_id = r.user_id
      FROM resolution AS r
      WHERE t.id > $1 AND t.id <= $2
        -- Re-checked on the latest version of a row a writer changed meanwhile.
        AND t.owner_user_id IS NULL AND t.owner_username = r.owner_username COLLATE "C"
        AND migration_ops.has_legacy_owner(t.owner_username) AND r.user_id IS NOT NULL
      RETURNING t.id
    ), unresolvable AS (
      -- Locked, and re-read at their latest version, so that no error row is written stale.
      SELECT t.id, t.owner_username, r.reason
      FROM %1$I AS t
      JOIN resolution AS r ON r.owner_username = t.owner_username COLLATE "C"
      WHERE t.id > $1 AND t.id <= $2
        AND t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username)
        AND r.user_id IS NULL
      FOR NO KEY UPDATE OF t
    )
    SELECT (SELECT count(*) FROM fixed), array_agg(x.id), array_agg(x.owner_username), array_agg(x.reason)
    FROM unresolvable AS x
  $q$, p_table)
  INTO v_resolved, v_ids, v_usernames, v_reasons
  USING v_after_id, v_last_id, v_usernames_pending;

  v_unresolved := migration_ops.log_owner_errors(p_table, v_ids, v_usernames, v_reasons);
  IF v_resolved > 0 THEN
    INSERT INTO migration_ops.coverage_counts (entity_type, total_legacy, resolved_fk)
    VALUES (p_table, 0, v_resolved);
  END IF;

  EXECUTE format($q$
    DELETE FROM owner_backfill_errors AS e
    WHERE e.entity_type = $1 AND e.entity_id > $2
      AND (e.entity_id <= $3 OR $4 IS NULL OR $5 < $4)
      AND NOT EXISTS (
        SELECT 1 FROM %1$I AS t
        WHERE t.id = e.entity_id
          AND t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username))
  $q$, p_table)
  USING p_table, v_after_id, v_last_id, p_batch_size, v_scanned;

  -- Restored for the rest of the caller's transaction; an error rolls the setting back anyway.
  PERFORM set_config('owner_migration.backfill', coalesce(v_outside, ''), true);
  PERFORM set_config('owner_migration.counted_by_batch', '', true);
  RETURN QUERY SELECT v_last_id, v_scanned, v_resolved, v_unresolved;
END
$fn$
