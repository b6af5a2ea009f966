-- The users that proposed aliases name, by exact username or by id.
SELECT id, username
FROM app_users
WHERE username = ANY (CAST(:usernames AS text[])) OR id = ANY (CAST(:user_ids AS bigint[]));
