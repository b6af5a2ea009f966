-- The coverage counts' change of one updated row (0058), as one row of
-- migration_ops.coverage_counts. The trigger's WHEN calls it only for a row whose update changes
-- them (an owner gained or lost, an id set or cleared), outside the backfill's own transactions,
-- whose statements count_coverage_change() counts once each.
CREATE OR REPLACE FUNCTION migration_ops.count_coverage_row_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO migration_ops.coverage_counts (entity_type, total_legacy, resolved_fk)
  VALUES (
    TG_TABLE_NAME,
    migration_ops.has_legacy_owner(NEW.owner_username)::int - migration_ops.has_legacy_owner(OLD.owner_username)::int,
    (NEW.owner_user_id IS NOT NULL)::int - (OLD.owner_user_id IS NOT NULL)::int
  );
  RETURN NULL;
END
$$
