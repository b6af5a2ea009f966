-- Dry run: what would stay unresolved in one table after a backfill run now, by reason.
SELECT r.reason, count(*) AS rows
FROM {table} AS t
CROSS JOIN LATERAL resolve_owner_username(t.owner_username) AS r
WHERE t.owner_user_id IS NULL AND btrim(t.owner_username) <> '' AND r.reason IS NOT NULL
GROUP BY r.reason
ORDER BY r.reason;
