-- The table's coverage counts counted afresh, writers waiting meanwhile: after writes that
-- bypassed every trigger, the counts too (migrations/objects/recount_coverage).
SELECT migration_ops.recount_coverage(:table);
