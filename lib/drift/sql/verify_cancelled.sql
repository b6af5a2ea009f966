-- The run stopped between two batches, as an operator asked; what it found so far stays.
UPDATE migration_ops.verify_runs
SET status = 'cancelled', finished_at = now(), held_by = NULL, held_detail = NULL, held_since = NULL
WHERE id = :id AND status = 'cancelling';
