INSERT INTO migration_ops.owner_username_aliases (legacy_username, user_id, batch_id, created_by, note)
VALUES (:legacy_username, :user_id, :batch_id, :created_by, :note);
