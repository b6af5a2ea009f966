-- The most recent verify run, with its age: what the console shows, and what a new run resumes
-- when its process died.
SELECT r.*, extract(epoch FROM now() - coalesce(r.finished_at, r.heartbeat_at)) AS age_seconds
FROM migration_ops.verify_runs AS r
ORDER BY r.id DESC
LIMIT 1;
