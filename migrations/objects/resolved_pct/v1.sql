-- The playbook's step-3 percentage: resolved_fk of total_legacy, to two places; 100 when there
-- is nothing to resolve.
CREATE OR REPLACE FUNCTION migration_ops.resolved_pct(p_total_legacy bigint, p_resolved_fk bigint)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN p_total_legacy = 0 THEN 100
  ELSE round((p_resolved_fk::numeric / p_total_legacy::numeric) * 100, 2)
END
