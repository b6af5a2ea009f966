-- The rows an alias resolved, once it is deleted (earlier in this transaction): each is resolved
-- again by the rule as it now stands, so it gets the rule's user or none, and then its error row.
-- With :apply false, the rows are only counted: the removal's preview.
WITH affected AS (
  SELECT t.id, t.owner_username, r.user_id, r.reason
  FROM {table} AS t
  CROSS JOIN LATERAL resolve_owner_username(t.owner_username) AS r
  WHERE t.owner_user_id = :user_id AND btrim(t.owner_username) = :legacy_username
    AND r.user_id IS DISTINCT FROM :user_id
), released AS (
  UPDATE {table} AS t SET owner_user_id = a.user_id
  FROM affected AS a
  WHERE :apply AND t.id = a.id
    -- Re-checked on the latest version of a row a writer changed meanwhile.
    AND t.owner_user_id = :user_id AND btrim(t.owner_username) = :legacy_username
  RETURNING t.id, t.owner_username, a.reason
), logged AS (
  SELECT migration_ops.log_owner_errors(
    :table, array_agg(r.id), array_agg(r.owner_username), array_agg(r.reason)
  ) AS rows
  FROM released AS r
  WHERE r.reason IS NOT NULL
)
SELECT count(*) AS rows, count(*) FILTER (WHERE a.user_id IS NULL) AS unresolved
FROM affected AS a
-- Referenced, so that the rows are logged: a CTE that only reads runs only when it is used.
WHERE (SELECT l.rows FROM logged AS l) IS NOT NULL;
