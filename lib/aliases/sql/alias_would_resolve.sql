-- Rows of the table still without owner_user_id that the rule resolves through an alias, per
-- legacy username: what the next backfill resolves through them.
SELECT btrim(t.owner_username) AS legacy_username, count(*) AS rows
FROM {table} AS t
CROSS JOIN LATERAL resolve_owner_username(t.owner_username) AS r
WHERE t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username)
  AND btrim(t.owner_username) = ANY (CAST(:legacy_usernames AS text[]))
  AND r.match_kind = 'alias'
GROUP BY 1;
