-- The aliased usernames that still have unresolved rows, and those rows: the next backfill
-- resolves them through their alias.
SELECT count(DISTINCT a.legacy_username) AS names, count(e.owner_username) AS rows
FROM owner_backfill_errors AS e
JOIN migration_ops.owner_username_aliases AS a ON a.legacy_username = btrim(e.owner_username);
