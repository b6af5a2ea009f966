-- Readiness, no legacy writers: since when writers are watched, and the last write through the
-- legacy path (owner_username without owner_user_id), by whom.
WITH latest AS (
  SELECT w.entity_type, w.application_name, w.role, w.last_legacy_at
  FROM migration_ops.owner_writers AS w
  WHERE w.last_legacy_at IS NOT NULL
  ORDER BY w.last_legacy_at DESC
  LIMIT 1
)
SELECT watch.started_at AS watched_since,
       extract(epoch FROM now() - watch.started_at) AS watched_seconds,
       l.entity_type, l.application_name, l.role, l.last_legacy_at,
       extract(epoch FROM now() - l.last_legacy_at) AS legacy_age_seconds
FROM (SELECT min(started_at) AS started_at FROM migration_ops.owner_writers_watch) AS watch
LEFT JOIN latest AS l ON true;
