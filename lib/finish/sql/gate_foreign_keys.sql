-- Readiness, foreign keys validated: each migrated table's owner_user_id foreign key, whether
-- PostgreSQL has validated it (a NOT VALID constraint is not yet known to hold for old rows), and
-- the owner ids whose user is gone that the last finished verify found in its table: a write in
-- replica mode skips a validated foreign key too.
SELECT c.conname AS name, c.convalidated AS validated,
       (SELECT count(*) FROM migration_ops.verify_drift AS d
        WHERE d.kind = 'dangling_id' AND d.entity_type = c.conrelid::regclass::text
          AND d.verify_run_id = (SELECT max(r.id) FROM migration_ops.verify_runs AS r
                                 WHERE r.status IN ('passed', 'drift'))) AS dangling
FROM pg_constraint AS c
WHERE c.contype = 'f' AND c.conname = ANY(CAST(:names AS text[]));
