-- The rows written to a migrated table while its sync or log trigger does not fire (the playbook's
-- rollback, from the console or by hand in psql), each with what the write changed, kept in
-- migration_ops.owner_writes_while_off for the next backfill run to reconcile.
--
-- A statement-level trigger over the transition tables, which the coverage-count triggers of the
-- same statement share: while the owner triggers are on, its whole cost is one catalog lookup per
-- statement. TG_ARGV holds the table's owner trigger names. Writes of a backfill (any path) are
-- not remembered, since they follow the rule themselves: the triggers' WHEN skips them.
CREATE OR REPLACE FUNCTION migration_ops.remember_owner_writes()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_entity_type text := TG_TABLE_NAME;
BEGIN
  IF NOT EXISTS (
    -- O and A fire for ordinary sessions; D is disabled, R fires only in replica sessions.
    SELECT 1 FROM pg_trigger AS t
    WHERE t.tgrelid = TG_RELID AND t.tgname IN (TG_ARGV[0], TG_ARGV[1]) AND t.tgenabled NOT IN ('O', 'A')
  ) THEN
    RETURN NULL;
  END IF;

  IF TG_OP = 'INSERT' THEN
    -- An insert that names a user is an id write (the id wins); one that names only a username
    -- is a legacy write; one with neither has nothing to reconcile.
    INSERT INTO migration_ops.owner_writes_while_off
      (entity_type, entity_id, kind, owner_username, owner_user_id)
    SELECT v_entity_type, n.id,
           CASE WHEN n.owner_user_id IS NULL THEN 'username' ELSE 'user_id' END,
           n.owner_username, n.owner_user_id
    FROM new_rows AS n
    WHERE n.owner_user_id IS NOT NULL OR n.owner_username IS NOT NULL;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO migration_ops.owner_writes_while_off
      (entity_type, entity_id, kind, owner_username, owner_user_id, owner_username_before, owner_user_id_before)
    SELECT v_entity_type, n.id,
           CASE WHEN n.owner_user_id IS DISTINCT FROM o.owner_user_id THEN 'user_id' ELSE 'username' END,
           n.owner_username, n.owner_user_id, o.owner_username, o.owner_user_id
    FROM new_rows AS n
    JOIN old_rows AS o ON o.id = n.id
    WHERE n.owner_user_id IS DISTINCT FROM o.owner_user_id
       OR n.owner_username IS DISTINCT FROM o.owner_username;
  ELSE
    INSERT INTO migration_ops.owner_writes_while_off
      (entity_type, entity_id, kind, owner_username_before, owner_user_id_before)
    SELECT v_entity_type, o.id, 'deleted', o.owner_username, o.owner_user_id
    FROM old_rows AS o;
  END IF;
  RETURN NULL;
END
$$
