-- Replica lag of each standby streaming from this server, in seconds. A standby that has replayed
-- everything lags 0 (PostgreSQL keeps showing its last replay_lag for a while after it caught
-- up). One that is behind lags its replay_lag as of its last reply plus the time since that
-- reply: an upper bound that keeps growing while its replay is paused or it is stuck, between
-- its replies too. Without pg_monitor the console's role sees the standbys but not their
-- positions: value is NULL then.
SELECT coalesce(nullif(application_name, ''), client_addr::text, 'pid ' || pid) AS subject,
       CASE
           WHEN state IS NULL THEN NULL
           WHEN replay_lsn >= pg_current_wal_lsn() THEN 0
           ELSE coalesce(extract(epoch FROM replay_lag), 0)
                + coalesce(extract(epoch FROM now() - reply_time), 0)
       END::float8 AS value
FROM pg_stat_replication
ORDER BY value DESC NULLS FIRST;
