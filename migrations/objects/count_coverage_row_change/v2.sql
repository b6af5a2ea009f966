-- The coverage counts' change of one inserted or updated row, as one row of
-- migration_ops.coverage_counts (v2, 0059). Called for every inserted row and every row whose
-- owner columns an UPDATE names, with no WHEN: a WHEN that calls a function is prepared again for
-- every statement, which costs a single-row write more than this call. The common write, which
-- leaves the counts as they were, returns on the first test; so do the backfill's own
-- transactions, whose batches count their rows themselves.
CREATE OR REPLACE FUNCTION migration_ops.count_coverage_row_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_total int;
  v_resolved int;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.owner_user_id IS NULL) = (OLD.owner_user_id IS NULL)
       AND migration_ops.has_legacy_owner(NEW.owner_username) = migration_ops.has_legacy_owner(OLD.owner_username) THEN
      RETURN NULL;
    END IF;
    -- Only honoured with the triggers standing aside, which the bypass guard allows in the
    -- backfill's own transactions alone.
    IF current_setting('owner_migration.backfill', true) IS NOT DISTINCT FROM 'on'
       AND current_setting('owner_migration.counted_by_batch', true) IS NOT DISTINCT FROM 'on' THEN
      RETURN NULL;
    END IF;
    v_total := migration_ops.has_legacy_owner(NEW.owner_username)::int
               - migration_ops.has_legacy_owner(OLD.owner_username)::int;
    v_resolved := (NEW.owner_user_id IS NOT NULL)::int - (OLD.owner_user_id IS NOT NULL)::int;
  ELSE
    v_total := migration_ops.has_legacy_owner(NEW.owner_username)::int;
    v_resolved := (NEW.owner_user_id IS NOT NULL)::int;
    IF v_total = 0 AND v_resolved = 0 THEN
      RETURN NULL;
    END IF;
  END IF;
  INSERT INTO migration_ops.coverage_counts (entity_type, total_legacy, resolved_fk)
  VALUES (TG_TABLE_NAME, v_total, v_resolved);
  RETURN NULL;
END
$$
