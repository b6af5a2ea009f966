-- Readiness, foreign keys validated: each migrated table's owner_user_id foreign key, and whether
-- PostgreSQL has validated it (a NOT VALID constraint is not yet known to hold for old rows).
SELECT c.conname AS name, c.convalidated AS validated
FROM pg_constraint AS c
WHERE c.contype = 'f' AND c.conname = ANY(CAST(:names AS text[]));
