-- The longest wait for a table or row lock on a migrated table, in seconds: a queue that a batch
-- would join, often behind DDL.
SELECT format('pid %s waits for %s on %s', l.pid, l.mode, l.relation::regclass) AS subject,
       extract(epoch FROM now() - l.waitstart)::float8 AS value
FROM pg_locks AS l
WHERE NOT l.granted
  AND l.waitstart IS NOT NULL
  -- pg_locks covers every database of the server, whose table oids may coincide with these.
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.relation IN (SELECT to_regclass(t) FROM unnest(CAST(:tables AS text[])) AS t)
ORDER BY value DESC
LIMIT 1;
