CREATE OR REPLACE FUNCTION backfill_owner_batch(p_table text, p_after_id bigint, p_batch_size integer)
RETURNS TABLE (last_id bigint, scanned bigint, resolved bigint, unresolved bigint)
LANGUAGE plpgsql
AS $fn$
DECLARE
  -- The triggers stand aside for this call only. Set here, not by a SET clause on the function:
  -- PostgreSQL 15+ lets only a superuser attach an unregistered parameter to a function.
  v_outside text := current_setting('owner_migration.backfill', true);
BEGIN
  IF p_table IS NULL OR p_table <> ALL (@MIGRATED_TABLES@) THEN
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
