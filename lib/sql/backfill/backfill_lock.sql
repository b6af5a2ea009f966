-- One backfill at a time, across processes and replicas: the runner holds this for its whole run
-- on a connection of its own; PostgreSQL frees it when that connection ends, a killed process too.
SELECT pg_try_advisory_lock(hashtext('owner-console backfill'));
