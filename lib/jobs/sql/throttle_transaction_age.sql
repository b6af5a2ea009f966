-- Transactions of this database open the longest, in seconds, the runner's own aside: while one
-- is open, VACUUM cannot remove the dead row versions every batch leaves behind.
SELECT format('pid %s (%s, %s)', pid, usename, coalesce(nullif(application_name, ''), 'no application_name'))
           AS subject,
       extract(epoch FROM now() - xact_start)::float8 AS value
FROM pg_stat_activity
WHERE datname = current_database()
  AND backend_type = 'client backend'
  AND xact_start IS NOT NULL
  AND pid <> pg_backend_pid()
ORDER BY value DESC
LIMIT 1;
