-- Distinct legacy usernames of one table, by how the resolution rule matches them.
SELECT r.match_kind, count(*) AS usernames
FROM (
  SELECT DISTINCT owner_username
  FROM {table}
  WHERE migration_ops.has_legacy_owner(owner_username)
) AS legacy
CROSS JOIN LATERAL resolve_owner_username(legacy.owner_username) AS r
GROUP BY r.match_kind;
