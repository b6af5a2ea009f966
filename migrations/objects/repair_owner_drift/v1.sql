-- The rows p_ids of p_table brought back to the rule, in the caller's transaction: verify found
-- them drifting, after writes that bypassed every trigger (DISABLE TRIGGER ALL, replica mode), so
-- what each write meant is unknown. The legacy username is what the migration derives the owner
-- from, as the backfill does: owner_user_id becomes what the rule makes of it (NULL when it is
-- blank or resolves to nobody, which also clears an id whose user is gone), owner_username keeps
-- its text, and owner_backfill_errors holds exactly the unresolved ones among them. Returns how
-- many ids it changed.
CREATE OR REPLACE FUNCTION migration_ops.repair_owner_drift(p_table text, p_ids bigint[])
RETURNS bigint
LANGUAGE plpgsql
AS $fn$
DECLARE
  v_outside text := current_setting('owner_migration.backfill', true);
  v_usernames text[];
  v_repaired bigint;
  v_ids bigint[];
  v_unresolved_usernames text[];
  v_reasons text[];
BEGIN
  IF p_table IS NULL OR p_table <> ALL (@MIGRATED_TABLES@) THEN
    RAISE EXCEPTION 'repair_owner_drift: % is not a migrated table', p_table
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  PERFORM migration_ops.lock_alias_rule(false);
  PERFORM migration_ops.stand_owner_triggers_aside();
  EXECUTE format($q$
    SELECT array_agg(DISTINCT t.owner_username)
    FROM %1$I AS t
    WHERE t.id = ANY($1) AND migration_ops.has_legacy_owner(t.owner_username)
  $q$, p_table)
  INTO v_usernames
  USING p_ids;

  EXECUTE format($q$
    WITH resolution AS MATERIALIZED (
      SELECT r.owner_username, r.user_id, r.reason FROM resolve_owner_usernames($2) AS r
    ), target AS (
      SELECT t.id, r.user_id, r.reason, t.owner_username,
             migration_ops.has_legacy_owner(t.owner_username) AS has_owner
      FROM %1$I AS t
      LEFT JOIN resolution AS r ON r.owner_username = t.owner_username COLLATE "C"
      WHERE t.id = ANY($1)
      FOR NO KEY UPDATE OF t
    ), repaired AS (
      UPDATE %1$I AS t SET owner_user_id = g.user_id
      FROM target AS g
      WHERE t.id = g.id AND t.owner_user_id IS DISTINCT FROM g.user_id
      RETURNING t.id
    )
    SELECT (SELECT count(*) FROM repaired),
           array_agg(g.id) FILTER (WHERE g.has_owner AND g.user_id IS NULL),
           array_agg(g.owner_username) FILTER (WHERE g.has_owner AND g.user_id IS NULL),
           array_agg(g.reason) FILTER (WHERE g.has_owner AND g.user_id IS NULL)
    FROM target AS g
  $q$, p_table)
  INTO v_repaired, v_ids, v_unresolved_usernames, v_reasons
  USING p_ids, v_usernames;

  DELETE FROM owner_backfill_errors AS e
  WHERE e.entity_type = p_table AND e.entity_id = ANY(p_ids)
    AND e.entity_id <> ALL (coalesce(v_ids, '{}'));
  PERFORM migration_ops.log_owner_errors(p_table, v_ids, v_unresolved_usernames, v_reasons);

  PERFORM set_config('owner_migration.backfill', coalesce(v_outside, ''), true);
  RETURN v_repaired;
END
$fn$
