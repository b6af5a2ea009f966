SELECT * FROM migration_ops.verify_runs WHERE id = :id;
