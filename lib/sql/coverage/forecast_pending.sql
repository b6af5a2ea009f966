-- The usernames a backfill run now would resolve in one table: those of its rows still without
-- owner_user_id, each once, with its number of rows. Usernames up to 2,000 bytes are read from the
-- index of them alone; the rare longer ones, too long for an index entry, from their rows.
SELECT t.owner_username, count(*) AS rows
FROM {table} AS t
WHERE t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username)
  AND octet_length(t.owner_username) <= 2000
GROUP BY t.owner_username
UNION ALL
SELECT t.owner_username, count(*) AS rows
FROM {table} AS t
WHERE t.owner_user_id IS NULL AND migration_ops.has_legacy_owner(t.owner_username)
  AND octet_length(t.owner_username) > 2000
GROUP BY t.owner_username;
