-- One keyset batch of verify over {table}: the rows after :after_id, checked against the
-- definition of drift (the kinds below), and the error rows of the same key range; the drifting
-- ones are stored with their kind. The last batch (fewer rows than :batch_size) takes every error row
-- above it.
--
-- With :changed_since (a transaction id), the batch holds only the rows written since then, and
-- the rows whose error row was: the run's last pass, which re-reads what changed while its scan
-- went on, so that "passed" covers the data as it is at the end. age() counts transactions back
-- from now, so a row written since :changed_since is younger than it.
WITH changed_error_rows AS (
  SELECT e.entity_id
  FROM owner_backfill_errors AS e
  WHERE e.entity_type = :table AND age(e.xmin) <= age(CAST(:changed_since AS xid))
), batch AS (
  SELECT t.id, t.owner_username, t.owner_user_id, t.xmin AS row_xmin,
         t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username) AS unresolved,
         t.owner_user_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM app_users AS u WHERE u.id = t.owner_user_id) AS dangling
  FROM {table} AS t
  WHERE t.id > :after_id
    AND (CAST(:changed_since AS xid) IS NULL
         OR age(t.xmin) <= age(CAST(:changed_since AS xid))
         OR t.id IN (SELECT c.entity_id FROM changed_error_rows AS c))
  ORDER BY t.id
  LIMIT :batch_size
), bounds AS (
  SELECT max(b.id) AS last_id, count(*) AS scanned FROM batch AS b
), error_rows AS (
  -- Those of the batch's rows, and those whose row is gone.
  SELECT e.entity_id, e.owner_username, e.reason
  FROM owner_backfill_errors AS e
  WHERE e.entity_type = :table AND e.entity_id > :after_id
    AND (e.entity_id <= (SELECT last_id FROM bounds) OR (SELECT scanned FROM bounds) < :batch_size)
    AND (e.entity_id IN (SELECT b.id FROM batch AS b)
         OR NOT EXISTS (SELECT 1 FROM {table} AS t WHERE t.id = e.entity_id))
), checked AS (
  SELECT b.id, b.owner_username, b.owner_user_id, e.owner_username AS error_username, e.reason AS error_reason,
    CASE
      WHEN b.owner_user_id IS NOT NULL AND NOT migration_ops.has_legacy_owner(b.owner_username)
        THEN 'id_without_username'
      -- Only a write that bypassed the foreign key (replica mode) leaves one.
      WHEN b.dangling THEN 'dangling_id'
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
      -- Written since another user has exactly its username, the row would be that user's by the
      -- rule's step 2, unless the name is a former name or an alias of its owner. A row written
      -- before that user had the name keeps its owner, as the write path leaves it.
      WHEN b.owner_user_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM app_users AS x
        WHERE x.username = btrim(b.owner_username) AND x.id <> b.owner_user_id
          AND age(b.row_xmin) < age(x.xmin)
      ) AND NOT EXISTS (
        SELECT 1 FROM migration_ops.former_usernames AS f
        WHERE f.user_id = b.owner_user_id AND f.username = btrim(b.owner_username)
        UNION ALL
        SELECT 1 FROM migration_ops.owner_username_aliases AS a
        WHERE a.user_id = b.owner_user_id AND a.legacy_username = btrim(b.owner_username)
      ) THEN 'shadowed_id'
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
), forgotten AS (
  -- The last pass judges each row it re-reads afresh: what an earlier batch found of it goes.
  DELETE FROM migration_ops.verify_drift AS v
  WHERE CAST(:changed_since AS xid) IS NOT NULL
    AND v.verify_run_id = :run_id AND v.entity_type = :table
    AND v.entity_id IN (SELECT d.id FROM drifting AS d UNION ALL SELECT b.id FROM batch AS b)
  RETURNING 1
), stored AS (
  INSERT INTO migration_ops.verify_drift
    (verify_run_id, entity_type, entity_id, kind, owner_username, owner_user_id, error_username, error_reason)
  SELECT :run_id, :table, d.id, d.kind, d.owner_username, d.owner_user_id, d.error_username, d.error_reason
  FROM drifting AS d
  RETURNING 1
)
SELECT b.last_id, b.scanned, (SELECT count(*) FROM stored) - (SELECT count(*) FROM forgotten) AS drifting
FROM bounds AS b;
