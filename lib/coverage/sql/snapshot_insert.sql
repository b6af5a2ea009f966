-- One coverage snapshot of a table, with whether its sync and log triggers both fire now: the
-- readiness gate "triggers on throughout" reads that history.
INSERT INTO migration_ops.coverage_snapshots
  (entity_type, total_legacy, resolved_fk, resolved_pct, reason, owner_triggers_enabled)
SELECT :entity_type, :total_legacy, :resolved_fk, :resolved_pct, :reason,
       count(*) = cardinality(CAST(:owner_triggers AS text[]))
FROM pg_trigger AS t
WHERE t.tgrelid = to_regclass(:entity_type)
  AND t.tgname = ANY(CAST(:owner_triggers AS text[]))
  AND t.tgenabled IN ('O', 'A');
