-- How many rows of one table an inactive user owns: per inactive user, from the owner_user_id index.
SELECT count(*)
FROM app_users AS u
JOIN {table} AS t ON t.owner_user_id = u.id
WHERE NOT u.is_active;
