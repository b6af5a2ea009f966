-- One job of a kind at a time, across processes and replicas: the job holds this for its whole
-- run on a connection of its own; PostgreSQL frees it when that connection ends, a killed process too.
SELECT pg_try_advisory_lock(hashtext(:name));
