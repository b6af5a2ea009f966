-- A user's former username, kept when it is renamed: rows that still carry the old name as legacy
-- text keep their owner (the read views show the new one), and verify must tell them from stale ids.
CREATE OR REPLACE FUNCTION migration_ops.remember_former_username()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO migration_ops.former_usernames (user_id, username)
  VALUES (OLD.id, OLD.username);
  RETURN NULL;
END
$$
