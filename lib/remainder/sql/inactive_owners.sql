-- Rows of one table owned by an inactive user: resolved, and worth a look. The first of them by id.
SELECT t.id AS entity_id, t.name AS entity_name, t.owner_username, u.username AS owner,
       u.id AS owner_user_id
FROM {table} AS t
JOIN app_users AS u ON u.id = t.owner_user_id
WHERE NOT u.is_active
ORDER BY t.id
LIMIT :limit;
