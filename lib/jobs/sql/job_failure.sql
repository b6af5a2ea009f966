-- What failed the run: the kind of error and its first line.
UPDATE migration_ops.{runs}
SET error_kind = :kind, error_message = :message, error_at = now()
WHERE id = :id;
