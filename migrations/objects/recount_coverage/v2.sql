CREATE OR REPLACE FUNCTION migration_ops.recount_coverage(p_table text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  IF p_table IS NULL OR p_table <> ALL (@MIGRATED_TABLES@) THEN
    RAISE EXCEPTION 'recount_coverage: % is not a migrated table', p_table
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Writers wait for the count, so that none falls between it and the next delta.
  EXECUTE format('LOCK TABLE %I IN SHARE MODE', p_table);
  DELETE FROM migration_ops.coverage_counts WHERE entity_type = p_table;
  EXECUTE format($count$
    INSERT INTO migration_ops.coverage_counts (entity_type, total_legacy, resolved_fk)
    SELECT %L,
           count(*) FILTER (WHERE migration_ops.has_legacy_owner(owner_username)),
           count(*) FILTER (WHERE owner_user_id IS NOT NULL)
    FROM %I
  $count$, p_table, p_table);
END
$$
