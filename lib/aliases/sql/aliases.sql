-- The aliases, newest first: the user each names, and the batch it was approved in.
SELECT a.legacy_username, a.user_id, u.username, u.is_active, a.batch_id, a.created_by, a.created_at,
       a.note
FROM migration_ops.owner_username_aliases AS a
JOIN app_users AS u ON u.id = a.user_id
ORDER BY a.created_at DESC, a.legacy_username;
