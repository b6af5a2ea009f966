-- v2 (0059): the trigger has no WHEN and names the owner columns of an UPDATE; a statement that
-- skips nothing returns at once. A WHEN that calls a function is prepared again for every
-- statement, which costs a single-row write more than this call.
-- Before each statement on a migrated table that would skip the owner triggers: in a transaction
-- that stand_owner_triggers_aside() recorded (the backfill's own), the skip stands. Anywhere else,
-- the setting is switched off for the transaction, so that the triggers act on the statement as on
-- any other, and the attempt is counted. In replica mode no trigger of the owner's fires, nor the
-- foreign key: the write is counted, and verify --repair brings its rows back to the rule.
CREATE OR REPLACE FUNCTION migration_ops.guard_owner_trigger_bypass()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_how text;
BEGIN
  IF current_setting('owner_migration.backfill', true) IS DISTINCT FROM 'on'
     AND current_setting('session_replication_role') <> 'replica' THEN
    RETURN NULL;
  ELSIF current_setting('session_replication_role') = 'replica' THEN
    v_how := 'replica mode';
  ELSIF EXISTS (
    SELECT 1 FROM migration_ops.owner_trigger_stand_asides WHERE xact = pg_current_xact_id()
  ) THEN
    RETURN NULL;
  ELSE
    v_how := 'owner_migration.backfill';
    PERFORM set_config('owner_migration.backfill', '', true);
  END IF;
  INSERT INTO migration_ops.owner_trigger_bypasses AS b
    (day, entity_type, how, application_name, role_name)
  VALUES (current_date, TG_TABLE_NAME, v_how, current_setting('application_name'), current_user)
  ON CONFLICT (day, entity_type, how, application_name, role_name)
  DO UPDATE SET statements = b.statements + 1, last_seen_at = now();
  RETURN NULL;
END
$$
