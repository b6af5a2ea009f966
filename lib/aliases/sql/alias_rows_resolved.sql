-- Rows of the table resolved through each alias: the alias's user, from its legacy username.
SELECT a.legacy_username, a.batch_id, count(*) AS rows
FROM migration_ops.owner_username_aliases AS a
JOIN {table} AS t ON t.owner_user_id = a.user_id AND btrim(t.owner_username) = a.legacy_username
GROUP BY a.legacy_username, a.batch_id;
