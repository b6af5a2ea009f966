-- The owner triggers stand aside for the rest of the calling transaction: the backfill, the
-- reconciliation, the repair and alias changes fill owner_user_id only and keep
-- owner_backfill_errors themselves. The setting alone no longer does it: the bypass guard
-- (guard_owner_trigger_bypass) honours it only in a transaction recorded here, so that a session
-- that merely sets owner_migration.backfill is refused, and counted. EXECUTE is the owner's
-- alone. Recorded transactions that have ended are forgotten on the way.
CREATE OR REPLACE FUNCTION migration_ops.stand_owner_triggers_aside()
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  DELETE FROM migration_ops.owner_trigger_stand_asides
  WHERE xact < pg_snapshot_xmin(pg_current_snapshot());
  INSERT INTO migration_ops.owner_trigger_stand_asides (xact) VALUES (pg_current_xact_id())
  ON CONFLICT (xact) DO NOTHING;
  PERFORM set_config('owner_migration.backfill', 'on', true);
END
$$
