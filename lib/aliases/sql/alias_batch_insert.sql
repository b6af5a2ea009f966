INSERT INTO migration_ops.alias_batches (created_by, source, note)
VALUES (:created_by, :source, :note)
RETURNING id;
