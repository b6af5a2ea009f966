-- v2: as v1, but the owner triggers stand aside through stand_owner_triggers_aside(), which the
-- bypass guard honours, rather than by the setting alone.
-- Up to p_limit rows of p_table written while its owner triggers were off (all of them when
-- p_limit is NULL), brought to what the write-path table would have made of their last write:
--
-- - a legacy write (the username changed) is re-resolved by the rule; a blank username clears the id;
-- - an id write keeps the id and gets the user's canonical username; a cleared id clears both;
-- - a row written again since, with the triggers on, is in step already and is left as it is;
-- - a deleted row leaves nothing behind.
--
-- Then owner_backfill_errors follows the rows, and their remembered writes are forgotten, all in
-- the caller's transaction. Returns how many rows it reconciled; the backfill calls it in batches
-- before its scan, and run_owner_backfill() once per table.
CREATE OR REPLACE FUNCTION migration_ops.reconcile_owner_writes(p_table text, p_limit integer)
RETURNS bigint
LANGUAGE plpgsql
AS $fn$
DECLARE
  v_outside text := current_setting('owner_migration.backfill', true);
  v_ids bigint[];
BEGIN
  IF p_table IS NULL OR p_table <> ALL (@MIGRATED_TABLES@) THEN
    RAISE EXCEPTION 'reconcile_owner_writes: % is not a migrated table', p_table
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_limit < 1 THEN
    RAISE EXCEPTION 'reconcile_owner_writes: limit must be at least 1, got %', p_limit
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  PERFORM migration_ops.lock_alias_rule(false);
  PERFORM migration_ops.stand_owner_triggers_aside();
  EXECUTE format($q$
    WITH latest AS (
      -- Per row, its last remembered write decides, as the last write does with the triggers on.
      SELECT DISTINCT ON (w.entity_id) w.entity_id, w.seq, w.kind, w.owner_username, w.owner_user_id
      FROM migration_ops.owner_writes_while_off AS w
      WHERE w.entity_type = $1
      ORDER BY w.entity_id, w.seq DESC
      LIMIT $2
    ), unchanged AS (
      -- Locked, and still as that write left it (re-checked on the latest version of a row a
      -- writer changed meanwhile).
      SELECT t.id, l.kind, t.owner_username, t.owner_user_id
      FROM %1$I AS t
      JOIN latest AS l ON l.entity_id = t.id
      WHERE t.owner_username IS NOT DISTINCT FROM l.owner_username
        AND t.owner_user_id IS NOT DISTINCT FROM l.owner_user_id
      FOR NO KEY UPDATE OF t
    ), wanted AS (
      SELECT u.id,
             CASE WHEN u.kind = 'username' THEN r.user_id ELSE u.owner_user_id END AS owner_user_id,
             CASE WHEN u.kind = 'username' THEN u.owner_username
                  WHEN u.owner_user_id IS NULL THEN NULL
                  ELSE coalesce(owner.username, u.owner_username)
             END AS owner_username
      FROM unchanged AS u
      CROSS JOIN LATERAL resolve_owner_username(u.owner_username) AS r
      LEFT JOIN app_users AS owner ON owner.id = u.owner_user_id
    ), fixed AS (
      UPDATE %1$I AS t SET owner_user_id = w.owner_user_id, owner_username = w.owner_username
      FROM wanted AS w
      WHERE t.id = w.id
        AND (t.owner_user_id, t.owner_username) IS DISTINCT FROM (w.owner_user_id, w.owner_username)
    ), forgotten AS (
      -- A write remembered after this statement began stays, for the next batch or run.
      DELETE FROM migration_ops.owner_writes_while_off AS w
      USING latest AS l
      WHERE w.entity_type = $1 AND w.entity_id = l.entity_id AND w.seq <= l.seq
    )
    SELECT array_agg(l.entity_id) FROM latest AS l
  $q$, p_table)
  INTO v_ids
  USING p_table, p_limit;

  IF v_ids IS NOT NULL THEN
    EXECUTE format($q$
      SELECT migration_ops.log_owner_errors(
        $1, array_agg(t.id), array_agg(t.owner_username), array_agg(coalesce(r.reason, 'pending_backfill')))
      FROM %1$I AS t
      CROSS JOIN LATERAL resolve_owner_username(t.owner_username) AS r
      WHERE t.id = ANY ($2) AND t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username)
    $q$, p_table)
    USING p_table, v_ids;
    EXECUTE format($q$
      DELETE FROM owner_backfill_errors AS e
      WHERE e.entity_type = $1 AND e.entity_id = ANY ($2)
        AND NOT EXISTS (
          SELECT 1 FROM %1$I AS t
          WHERE t.id = e.entity_id
            AND t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username))
    $q$, p_table)
    USING p_table, v_ids;
  END IF;

  PERFORM set_config('owner_migration.backfill', coalesce(v_outside, ''), true);
  RETURN coalesce(cardinality(v_ids), 0);
END
$fn$
