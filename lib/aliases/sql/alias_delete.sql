DELETE FROM migration_ops.owner_username_aliases
WHERE legacy_username = :legacy_username
RETURNING user_id;
