UPDATE migration_ops.verify_runs
SET status = 'failed', finished_at = now(), error_message = :message
WHERE id = :id;
