-- One keyset batch of verify over {table}: the rows after :after_id, checked against DESIGN §8's
-- definition of drift, and the error rows of the same key range; the drifting ones are stored
-- with their kind. The last batch (fewer rows than :batch_size) takes every error row above it.
WITH batch AS (
  SELECT t.id, t.owner_username, t.owner_user_id,
         t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username) AS unresolved
  FROM {table} AS t
  WHERE t.id > :after_id
  ORDER BY t.id
  LIMIT :batch_size
), bounds AS (
  SELECT max(b.id) AS last_id, count(*) AS scanned FROM batch AS b
), error_rows AS (
  SELECT e.entity_id, e.owner_username, e.reason
  FROM owner_backfill_errors AS e
  WHERE e.entity_type = :table AND e.entity_id > :after_id
    AND (e.entity_id <= (SELECT last_id FROM bounds) OR (SELECT scanned FROM bounds) < :batch_size)
), checked AS (
  SELECT b.id, b.owner_username, b.owner_user_id, e.owner_username AS error_username, e.reason AS error_reason,
    CASE
      WHEN b.owner_user_id IS NOT NULL AND NOT migration_ops.has_legacy_owner(b.owner_username)
        THEN 'id_without_username'
      -- A row keeps its owner through a rename, a case variant, or an alias of that owner.
      WHEN b.owner_user_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM app_users AS u
        WHERE u.id = b.owner_user_id AND lower(u.username) = lower(btrim(b.owner_username))
        UNION ALL
        SELECT 1 FROM migration_ops.former_usernames AS f
        WHERE f.user_id = b.owner_user_id AND lower(f.username) = lower(btrim(b.owner_username))
        UNION ALL
        SELECT 1 FROM migration_ops.owner_username_aliases AS a
        WHERE a.user_id = b.owner_user_id AND lower(a.legacy_username) = lower(btrim(b.owner_username))
      ) THEN 'stale_id'
      WHEN b.unresolved AND e.reason IS DISTINCT FROM 'pending_backfill'
        AND (SELECT r.user_id FROM resolve_owner_username(b.owner_username) AS r) IS NOT NULL
        THEN 'resolvable_without_id'
      WHEN b.unresolved AND e.entity_id IS NULL THEN 'missing_error_row'
      WHEN NOT b.unresolved AND e.entity_id IS NOT NULL THEN 'stray_error_row'
      WHEN b.unresolved AND e.owner_username IS DISTINCT FROM b.owner_username THEN 'stale_error_row'
    END AS kind
  FROM batch AS b
  LEFT JOIN error_rows AS e ON e.entity_id = b.id
), drifting AS (
  SELECT c.id, c.kind, c.owner_username, c.owner_user_id, c.error_username, c.error_reason
  FROM checked AS c
  WHERE c.kind IS NOT NULL
  UNION ALL
  -- An error row whose entity is gone.
  SELECT e.entity_id, 'stray_error_row', NULL, NULL, e.owner_username, e.reason
  FROM error_rows AS e
  WHERE NOT EXISTS (SELECT 1 FROM batch AS b WHERE b.id = e.entity_id)
), stored AS (
  INSERT INTO migration_ops.verify_drift
    (verify_run_id, entity_type, entity_id, kind, owner_username, owner_user_id, error_username, error_reason)
  SELECT :run_id, :table, d.id, d.kind, d.owner_username, d.owner_user_id, d.error_username, d.error_reason
  FROM drifting AS d
  RETURNING 1
)
SELECT b.last_id, b.scanned, (SELECT count(*) FROM stored) AS drifting
FROM bounds AS b;
