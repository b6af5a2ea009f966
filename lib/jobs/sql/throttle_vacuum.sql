-- A VACUUM (autovacuum or by hand) working on the table being filled, and for how many seconds.
SELECT format('pid %s, %s, phase %s', p.pid,
              CASE WHEN a.backend_type = 'autovacuum worker' THEN 'autovacuum' ELSE 'VACUUM' END,
              p.phase) AS subject,
       coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8 AS value
FROM pg_stat_progress_vacuum AS p
LEFT JOIN pg_stat_activity AS a ON a.pid = p.pid
-- pg_stat_progress_vacuum covers every database of the server, and a database cloned from another
-- has the same table oids: the database must match too.
WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND p.relid = to_regclass(CAST(:table AS text))
ORDER BY value DESC
LIMIT 1;
