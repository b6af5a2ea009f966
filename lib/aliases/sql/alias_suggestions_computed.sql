INSERT INTO migration_ops.alias_suggestions_computed (computed_at, seconds, inputs)
VALUES (now(), :seconds, CAST(:inputs AS jsonb))
ON CONFLICT (single) DO UPDATE
SET computed_at = excluded.computed_at, seconds = excluded.seconds, inputs = excluded.inputs;
